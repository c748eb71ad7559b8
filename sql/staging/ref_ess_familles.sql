-- Grain: one row per ESS family. Source: this file (reference data, DOMAIN.md §3, loi 2014-856). The family of an
-- ESS legal unit comes from its legal category (staging.ref_ess_categories_juridiques); a unit that is ESS by the
-- SIRENE flag only, with a category outside the list, is an 'entreprise_ess' (commercial ESS company).
with familles (famille_ess, libelle_famille, ordre) as (
    values
    ('association', 'Association', 1),
    ('fondation', 'Fondation', 2),
    ('mutuelle', 'Mutuelle', 3),
    ('cooperative', 'Coopérative', 4),
    ('entreprise_ess', 'Entreprise commerciale de l''ESS', 5)
),

final as (
    select * from familles
)

select * from final
order by ordre
