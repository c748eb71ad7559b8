-- Grain: one row per (indicateur, source) of the 2015 geography's ANCT/ONPV indicators. Source: the seed
-- sql/seeds/familles_indicateurs.csv. The file (REVN, DEMO, IPRO) and variable family whose year of reference
-- (staging.ref_annees_reference) an indicator carries; source = the exact `source` value of
-- marts.indicateurs_qpv (foyers_allocataires comes from REVN, or DEMO when the edition has no REVN file).
-- Derived indicators (ratios or estimates mixing families) carry the year of their numerator's family (non-recours:
-- the CAF claimants), said in note. The run fails (error()) on a duplicate key or a blank file or family.
with seed as (
    select * from {{ seed('familles_indicateurs') }}
),

controles as (
    select
        *,
        case
            when nullif(trim(indicateur), '') is null or nullif(trim(source), '') is null
                or nullif(trim(fichier), '') is null or nullif(trim(famille), '') is null then
                error('familles_indicateurs : colonne vide pour ' || coalesce(indicateur, 'NULL'))
            when count(*) over (partition by indicateur, source) > 1 then
                error('familles_indicateurs : ligne en double ' || indicateur || ' / ' || source)
        end as erreur
    from seed
),

final as (
    select indicateur, source, fichier, famille, nullif(trim(note), '') as note
    from controles
    where erreur is null
)

select * from final
order by indicateur, source
