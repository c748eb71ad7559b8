-- Grain: one row per legal unit (SIREN) of the SIRENE stock. Sources: staging.stg_sirene_unites_legales,
-- staging.ref_ess_categories_juridiques, staging.ref_ess_naf_exclus. The ESS rule of DOMAIN.md §3:
--   est_ess = (legal category in the ESS list and the unit's NAF not excluded) or economie_sociale_solidaire (flag 'O')
-- ess_basis: 'cj' (category only), 'flag' (flag only), 'both', null when not ESS. famille_ess: the family of the
-- category when it is in the list, else 'entreprise_ess' for a unit ESS by its flag only. employeur_prive: legal
-- units outside public law (categories 4xxx, public bodies under commercial law, and 7xxx, public administrations,
-- are public); entrepreneur_individuel: category 1000.
with unites as (
    select * from staging.stg_sirene_unites_legales
),

categories as (
    select * from staging.ref_ess_categories_juridiques
),

naf_exclus as (
    select * from staging.ref_ess_naf_exclus
),

classees as (
    select
        unites.siren,
        unites.millesime,
        unites.categorie_juridique,
        unites.activite_principale,
        unites.economie_sociale_solidaire,
        unites.actif,
        categories.famille_ess as famille_categorie,
        categories.categorie_juridique is not null as categorie_ess,
        exists (
            select 1 from naf_exclus where starts_with(unites.activite_principale, naf_exclus.prefixe_naf)
        ) as naf_exclu
    from unites
    left join categories on categories.categorie_juridique = unites.categorie_juridique
),

regle as (
    select
        *,
        categorie_ess and not naf_exclu as ess_par_categorie,
        coalesce(economie_sociale_solidaire, false) as ess_par_indicateur
    from classees
),

final as (
    select
        siren,
        millesime,
        categorie_juridique,
        activite_principale,
        actif,
        ess_par_categorie or ess_par_indicateur as est_ess,
        case
            when ess_par_categorie and ess_par_indicateur then 'both'
            when ess_par_categorie then 'cj'
            when ess_par_indicateur then 'flag'
        end as ess_basis,
        case
            when not (ess_par_categorie or ess_par_indicateur) then null
            when categorie_ess then famille_categorie
            else 'entreprise_ess'
        end as famille_ess,
        naf_exclu,
        not (coalesce(substr(categorie_juridique, 1, 1), '') in ('4', '7')) as employeur_prive,
        coalesce(categorie_juridique = '1000', false) as entrepreneur_individuel
    from regle
)

select * from final
