-- Grain: one row per legal category (catégorie juridique, 4 digits) of the ESS perimeter. Source: the seed
-- sql/seeds/ess_categories_juridiques.csv (reference data): the candidate lists of DOMAIN.md §3 (loi 2014-856:
-- associations, fondations, mutuelles, coopératives) [à vérifier against INSEE's Flores ESS note], written as ranges
-- of codes (code_debut to code_fin) and expanded here to one row per code. A legal unit is ESS by its category when
-- the category is here and its NAF is not in staging.ref_ess_naf_exclus; units flagged
-- economieSocialeSolidaireUniteLegale = 'O' whose category is not here form the family 'entreprise_ess' (commercial
-- ESS companies). The run fails (error()) on a blank column, a range that ends before it starts, or a code in two
-- ranges.
with seed as (
    select * from {{ seed('ess_categories_juridiques') }}
),

plages as (
    select
        *,
        case
            when nullif(trim(famille_ess), '') is null or nullif(trim(libelle_famille), '') is null
                or nullif(trim(libelle_plage), '') is null then
                error('ess_categories_juridiques : colonne vide pour ' || coalesce(code_debut, 0))
            when code_debut is null or code_fin is null or code_fin < code_debut then
                error('ess_categories_juridiques : plage invalide ' || libelle_plage)
        end as erreur
    from seed
),

codes as (
    select
        cast(code as varchar) as categorie_juridique,
        famille_ess,
        libelle_famille,
        libelle_plage
    from plages, generate_series(code_debut, code_fin) as t(code)
    where plages.erreur is null
),

controles as (
    select
        *,
        case
            when count(*) over (partition by categorie_juridique) > 1 then
                error('ess_categories_juridiques : catégorie dans deux plages ' || categorie_juridique)
        end as erreur
    from codes
),

final as (
    select categorie_juridique, famille_ess, libelle_famille, libelle_plage
    from controles
    where erreur is null
)

select * from final
order by categorie_juridique
