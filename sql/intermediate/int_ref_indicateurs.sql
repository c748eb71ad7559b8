-- Grain: one row per indicator code. Sources: the seed sql/seeds/indicateurs.csv, the observatory's dictionary kept as
-- data (one row per indicator of every theme: code, theme, libelle, definition, formule, unite, facteur, agregation,
-- numerateur_code, denominateur_code, source, geographie, annee_reference, precautions, producteur, seuil_secret), and
-- staging.ref_regles_secret (the disclosure rule of each producer). Every indicator of the marts is defined there and
-- nowhere else: the theme models read facteur and seuil_secret from here, marts.ref_indicateurs adds the rules
-- written from them, dashboards take their labels from it.
-- seuil_secret: the dictionary's own value when it sets one (a stricter rule for an estimate), else the rule of the
-- indicator's producer: seuil_effectif for a count ('somme'), seuil_denominateur for a share ('ratio'), none for a
-- producer's rate or median ('non_additif': secret only where the producer left the cell blank). 0 = no threshold.
-- The run fails (error()) on a duplicated code, an unknown theme, aggregation or producer, or a blank label or
-- definition.
with seed as (
    select * from {{ seed('indicateurs') }}
),

regles as (
    select * from staging.ref_regles_secret
),

controles as (
    select
        s.*,
        r.regle as regle_producteur,
        case
            when s.seuil_secret is not null then s.seuil_secret
            when s.agregation = 'somme' then r.seuil_effectif
            when s.agregation = 'ratio' then r.seuil_denominateur
        end as seuil_applique,
        case
            when count(*) over (partition by s.code) > 1 then
                error('indicateurs : code en double ' || s.code)
            when s.theme not in ('base', 'chomage', 'pauvrete', 'non_recours', 'ess', 'entrepreneuriat') then
                error('indicateurs : thème inconnu ' || coalesce(s.theme, 'NULL') || ' pour ' || s.code)
            when s.agregation is null or s.agregation not in ('somme', 'ratio', 'non_additif') then
                error('indicateurs : agrégation inconnue ' || coalesce(s.agregation, 'NULL') || ' pour ' || s.code)
            when nullif(trim(s.libelle), '') is null or nullif(trim(s.definition), '') is null then
                error('indicateurs : libellé ou définition vide pour ' || s.code)
            when r.producteur is null then
                error('indicateurs : producteur inconnu de sql/seeds/regles_secret.csv ' || coalesce(s.producteur, 'NULL')
                    || ' pour ' || s.code)
        end as erreur
    from seed as s
    left join regles as r on r.producteur = s.producteur
),

final as (
    select * exclude (erreur, seuil_secret, seuil_applique, regle_producteur),
        seuil_applique as seuil_secret,
        regle_producteur
    from controles
    where erreur is null
)

select * from final
