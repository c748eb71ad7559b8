-- Grain: one row per ESS family. Source: the seed sql/seeds/ess_familles.csv (reference data, DOMAIN.md §3, loi
-- 2014-856). The family of an ESS legal unit comes from its legal category (staging.ref_ess_categories_juridiques);
-- a unit that is ESS by the SIRENE flag only, with a category outside the list, is an 'entreprise_ess' (commercial
-- ESS company). The run fails (error()) on a duplicate family or order, or a blank column.
with seed as (
    select * from {{ seed('ess_familles') }}
),

controles as (
    select
        *,
        case
            when nullif(trim(famille_ess), '') is null or nullif(trim(libelle_famille), '') is null or ordre is null then
                error('ess_familles : colonne vide pour ' || coalesce(famille_ess, 'NULL'))
            when count(*) over (partition by famille_ess) > 1 or count(*) over (partition by ordre) > 1 then
                error('ess_familles : famille ou ordre en double ' || famille_ess)
        end as erreur
    from seed
),

final as (
    select famille_ess, libelle_famille, ordre
    from controles
    where erreur is null
)

select * from final
order by ordre
