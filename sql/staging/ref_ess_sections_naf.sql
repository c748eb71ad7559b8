-- Grain: one row per NAF rév. 2 division (2 digits). Source: the seed sql/seeds/ess_sections_naf.csv (reference
-- data: INSEE, NAF rév. 2, the 21 sections A to U and their divisions, division_debut to division_fin, expanded here
-- to one row per division), used for the breakdown of establishments by activity section. The run fails (error())
-- on a blank column, a range that ends before it starts, or a division in two sections.
with seed as (
    select * from {{ seed('ess_sections_naf') }}
),

sections as (
    select
        *,
        case
            when nullif(trim(section_naf), '') is null or nullif(trim(libelle_section), '') is null then
                error('ess_sections_naf : colonne vide pour ' || coalesce(section_naf, 'NULL'))
            when division_debut is null or division_fin is null or division_fin < division_debut then
                error('ess_sections_naf : plage de divisions invalide pour ' || section_naf)
        end as erreur
    from seed
),

divisions as (
    select
        lpad(cast(division as varchar), 2, '0') as division_naf,
        section_naf,
        libelle_section
    from sections, generate_series(division_debut, division_fin) as t(division)
    where sections.erreur is null
),

controles as (
    select
        *,
        case
            when count(*) over (partition by division_naf) > 1 then
                error('ess_sections_naf : division dans deux sections ' || division_naf)
        end as erreur
    from divisions
),

final as (
    select division_naf, section_naf, libelle_section
    from controles
    where erreur is null
)

select * from final
order by division_naf
