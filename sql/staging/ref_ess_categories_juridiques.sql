-- Grain: one row per legal category (catégorie juridique, 4 digits) of the ESS perimeter. Source: this file
-- (reference data): the candidate lists of DOMAIN.md §3 (loi 2014-856: associations, fondations, mutuelles,
-- coopératives) [à vérifier against INSEE's Flores ESS note], written as ranges of codes and expanded to one row
-- per code. A legal unit is ESS by its category when the category is here and its NAF is not in
-- staging.ref_ess_naf_exclus; units flagged economieSocialeSolidaireUniteLegale = 'O' whose category is not here
-- form the family 'entreprise_ess' (commercial ESS companies).
with plages (famille_ess, libelle_famille, code_debut, code_fin, libelle_plage) as (
    values
    ('association', 'Association', 9210, 9260, 'Associations (9210 à 9260, dont association déclarée 9220)'),
    ('fondation', 'Fondation', 9300, 9300, 'Fondation'),
    ('mutuelle', 'Mutuelle', 8210, 8210, 'Mutuelle'),
    ('mutuelle', 'Mutuelle', 8250, 8250, 'Assurance mutuelle agricole'),
    ('mutuelle', 'Mutuelle', 8290, 8290, 'Autre organisme mutualiste'),
    ('mutuelle', 'Mutuelle', 6411, 6411, 'Société d''assurance à forme mutuelle'),
    ('cooperative', 'Coopérative', 5191, 5196, 'Banques et caisses coopératives ou mutualistes'),
    ('cooperative', 'Coopérative', 5432, 5432, 'SARL d''intérêt collectif agricole (SICA)'),
    ('cooperative', 'Coopérative', 5458, 5460, 'SARL coopératives (SCOP, unions, autres)'),
    ('cooperative', 'Coopérative', 5551, 5560, 'SA coopératives à conseil d''administration'),
    ('cooperative', 'Coopérative', 5651, 5660, 'SA coopératives à directoire'),
    ('cooperative', 'Coopérative', 6316, 6318, 'Coopératives agricoles (CUMA, sociétés et unions)')
),

final as (
    select
        cast(code as varchar) as categorie_juridique,
        famille_ess,
        libelle_famille,
        libelle_plage
    from plages, generate_series(code_debut, code_fin) as t(code)
)

select * from final
order by categorie_juridique
