-- Grain: one row per indicator code. Source: the seed sql/seeds/indicateurs.csv, the observatory's dictionary kept as
-- data (one row per indicator of every theme: code, theme, libelle, definition, formule, unite, facteur, agregation,
-- numerateur_code, denominateur_code, source, geographie, annee_reference, precautions, seuil_secret). Every indicator
-- of the marts is defined there and nowhere else: the theme models read facteur and seuil_secret from here,
-- marts.ref_indicateurs adds the rules written from them, dashboards take their labels from it.
-- The run fails (error()) on a duplicated code, an unknown theme or aggregation, or a blank label or definition.
with seed as (
    select * from {{ seed('indicateurs') }}
),

controles as (
    select
        *,
        case
            when count(*) over (partition by code) > 1 then
                error('indicateurs : code en double ' || code)
            when theme not in ('base', 'chomage', 'pauvrete', 'non_recours', 'ess', 'entrepreneuriat') then
                error('indicateurs : thème inconnu ' || coalesce(theme, 'NULL') || ' pour ' || code)
            when agregation is null or agregation not in ('somme', 'ratio', 'non_additif') then
                error('indicateurs : agrégation inconnue ' || coalesce(agregation, 'NULL') || ' pour ' || code)
            when nullif(trim(libelle), '') is null or nullif(trim(definition), '') is null then
                error('indicateurs : libellé ou définition vide pour ' || code)
        end as erreur
    from seed
),

final as (
    select * exclude (erreur)
    from controles
    where erreur is null
)

select * from final
