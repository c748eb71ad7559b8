-- Grain: one row per (prestation, parametre). Source: the seed sql/seeds/non_recours_drees.csv — the national
-- references and thresholds of the non-recours estimators (docs/methodes/non_recours.md), as data with their source
-- and year, never as literals in the queries. Rates in %. prestation: 'rsa' (RSA socle, REVN.ARSAS) |
-- 'prime_activite' (REVN.APPA) | '*' (both). The run fails (error()) on a duplicate key, an unknown prestation, a
-- missing value, or a blank unit or source.
with seed as (
    select * from {{ seed('non_recours_drees') }}
),

controles as (
    select
        *,
        case
            when prestation is null or prestation not in ('rsa', 'prime_activite', '*') then
                error('non_recours_drees : prestation inconnue ' || coalesce(prestation, 'NULL'))
            when nullif(trim(parametre), '') is null or valeur is null or nullif(trim(unite), '') is null
                or nullif(trim(source), '') is null then
                error('non_recours_drees : colonne vide pour ' || prestation || ' / ' || coalesce(parametre, 'NULL'))
            when count(*) over (partition by prestation, parametre) > 1 then
                error('non_recours_drees : ligne en double ' || prestation || ' / ' || parametre)
        end as erreur
    from seed
),

final as (
    select
        prestation,
        parametre,
        cast(valeur as double) as valeur,
        unite,
        cast(annee_reference as integer) as annee_reference,
        source,
        note
    from controles
    where erreur is null
)

select * from final
order by prestation, parametre
