-- Grain: one row per SIRENE tranche d'effectifs salariés code. Source: the seed sql/seeds/tranches_effectifs.csv
-- (reference data, DOMAIN.md §2 "SIRENE details", the INSEE band limits). Jobs are not published by SIRENE, only the
-- band: each establishment counts for effectif_bas (lower limit) to effectif_haut (upper limit) jobs, and
-- effectif_central = the middle of the band, (bas + haut) / 2 — the documented central value. NN (no employee, or
-- unknown) and 00 (no employee at 31/12) count 0; the open band 53 (10,000 and more) is bounded at 10,000.
-- The run fails (error()) on a duplicate or blank code, a blank label, or limits missing or in the wrong order.
with seed as (
    select * from {{ seed('tranches_effectifs') }}
),

controles as (
    select
        *,
        case
            when nullif(trim(tranche_effectifs), '') is null or nullif(trim(libelle), '') is null then
                error('tranches_effectifs : colonne vide pour ' || coalesce(tranche_effectifs, 'NULL'))
            when effectif_bas is null or effectif_haut is null or effectif_haut < effectif_bas then
                error('tranches_effectifs : bornes invalides pour ' || tranche_effectifs)
            when count(*) over (partition by tranche_effectifs) > 1 then
                error('tranches_effectifs : tranche en double ' || tranche_effectifs)
        end as erreur
    from seed
),

final as (
    select
        tranche_effectifs,
        libelle,
        cast(effectif_bas as double) as effectif_bas,
        cast(effectif_haut as double) as effectif_haut,
        (effectif_bas + effectif_haut) / 2.0 as effectif_central
    from controles
    where erreur is null
)

select * from final
order by effectif_bas, tranche_effectifs
