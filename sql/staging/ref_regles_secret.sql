-- Grain: one row per producer whose figures the observatory publishes. Source: the seed sql/seeds/regles_secret.csv,
-- the disclosure rule of each producer kept as data (DOMAIN.md §5): seuil_effectif, the smallest count published
-- (a count under it is secret), and seuil_denominateur, the smallest denominator of a published share. 0 = no
-- threshold (SIRENE: a public register). intermediate.int_ref_indicateurs gives each indicator the rule of its
-- producer (column producteur of sql/seeds/indicateurs.csv) unless the dictionary sets a stricter seuil_secret.
-- The run fails (error()) on a duplicate or blank producer, a missing or negative threshold, or a blank rule.
with seed as (
    select * from {{ seed('regles_secret') }}
),

controles as (
    select
        *,
        case
            when nullif(trim(producteur), '') is null or nullif(trim(libelle_producteur), '') is null
                or nullif(trim(regle), '') is null then
                error('regles_secret : colonne vide pour ' || coalesce(producteur, 'NULL'))
            when seuil_effectif is null or seuil_denominateur is null or seuil_effectif < 0 or seuil_denominateur < 0 then
                error('regles_secret : seuil manquant ou négatif pour ' || producteur)
            when count(*) over (partition by producteur) > 1 then
                error('regles_secret : producteur en double ' || producteur)
        end as erreur
    from seed
),

final as (
    select producteur, libelle_producteur, seuil_effectif, seuil_denominateur, regle
    from controles
    where erreur is null
)

select * from final
order by producteur
