-- Grain: one row per QPV (2015 geography), edition and indicator. Source: staging.stg_anct_revn.
-- The REVN indicators in the long shape of marts.indicateurs_qpv; a blank cell of the producer is a secret value.
with revn as (
    select * from staging.stg_anct_revn
),

long as (
    from revn
    unpivot include nulls (valeur for indicateur in (taux_pauvrete_60, revenu_median_uc))
),

final as (
    select
        code_qp,
        lib_qp,
        'qpv2015' as geographie,
        millesime,
        cast(null as integer) as annee_reference,
        indicateur,
        cast(valeur as double) as valeur,
        cast(null as double) as numerateur,
        cast(null as double) as denominateur,
        cast(null as double) as borne_basse,
        cast(null as double) as borne_haute,
        valeur is null as secret,
        'ANCT/ONPV REVN' as source,
        fichier_sha256
    from long
)

select * from final
