-- Grain: one row per (code_qp, geographie, millesime, indicateur). Sources: intermediate.int_indicateurs_qpv_*.
-- The observatory's main table, long format; units and labels come from marts.ref_indicateurs.
with indicateurs as (
    select * from intermediate.int_indicateurs_qpv_revn
),

dictionary as (
    select code, unite from marts.ref_indicateurs
),

final as (
    select
        i.code_qp,
        i.lib_qp,
        i.geographie,
        i.millesime,
        i.annee_reference,
        i.indicateur,
        i.valeur,
        i.numerateur,
        i.denominateur,
        d.unite,
        i.borne_basse,
        i.borne_haute,
        i.secret,
        i.source,
        i.fichier_sha256
    from indicateurs as i
    inner join dictionary as d on d.code = i.indicateur
)

select * from final
order by geographie, millesime, code_qp, indicateur
