-- Grain: one row per NAF code or prefix excluded from the ESS perimeter by legal category. Source: this file
-- (reference data, DOMAIN.md §3 [à vérifier against INSEE's Flores ESS note]): public administration (division 84)
-- and the employers', professional, trade-union, religious and political organisations. A NAF code is excluded when
-- it starts with prefixe_naf (codes as `NN.NNL`). The SIRENE ESS flag ('O') keeps a unit in the perimeter anyway.
with exclus (prefixe_naf, libelle) as (
    values
    ('84.', 'Administration publique et défense ; sécurité sociale obligatoire (division 84)'),
    ('94.11Z', 'Activités des organisations patronales et consulaires'),
    ('94.12Z', 'Activités des organisations professionnelles'),
    ('94.20Z', 'Activités des syndicats de salariés'),
    ('94.91Z', 'Activités des organisations religieuses'),
    ('94.92Z', 'Activités des organisations politiques')
),

final as (
    select * from exclus
)

select * from final
