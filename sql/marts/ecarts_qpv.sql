-- Grain: one row per (code_qp, geographie, millesime, indicateur, type_reference). Sources: marts.indicateurs_qpv,
-- marts.indicateurs_territoire, marts.ref_indicateurs, intermediate.int_territoires_qpv (commune and EPCI of a QPV).
-- Each QPV against its commune, its EPCI and France, for the rates and shares (agregation 'ratio'; counts are not
-- compared, non-additive indicators have no territory value). The reference is the aggregate of all the QPV of the
-- territory (perimetre 'qpv', the QPV itself included); commune and EPCI are the QPV's main commune and its EPCI.
-- ecart = valeur − valeur_reference, in points when the unit is '%' (unite_ecart), else in the indicator's unit;
-- rapport = valeur / valeur_reference. Null when either value is secret (never 0) or the reference is 0.
with qpv as (
    select * from marts.indicateurs_qpv
),

territoires as (
    select * from marts.indicateurs_territoire
    where perimetre = 'qpv'
),

dictionnaire as (
    select code, unite, agregation from marts.ref_indicateurs
),

rattachement as (
    select geographie, code_qp, code_commune, code_epci from intermediate.int_territoires_qpv
),

references_qpv as (
    select geographie, code_qp, 'commune' as type_reference, code_commune as code_reference from rattachement
    where code_commune is not null
    union all
    select geographie, code_qp, 'epci', code_epci from rattachement where code_epci is not null
    union all
    select geographie, code_qp, 'france', 'FR' from rattachement
),

final as (
    select
        q.code_qp,
        q.lib_qp,
        q.geographie,
        q.millesime,
        q.indicateur,
        q.unite,
        q.valeur,
        q.secret,
        r.type_reference,
        r.code_reference,
        t.lib_territoire as lib_reference,
        t.perimetre as perimetre_reference,
        t.valeur as valeur_reference,
        t.secret as secret_reference,
        q.valeur - t.valeur as ecart,
        case when q.unite = '%' then 'points' else q.unite end as unite_ecart,
        q.valeur / nullif(t.valeur, 0) as rapport
    from qpv as q
    inner join dictionnaire as d on d.code = q.indicateur and d.agregation = 'ratio'
    inner join references_qpv as r on r.geographie = q.geographie and r.code_qp = q.code_qp
    inner join territoires as t
        on t.type_territoire = r.type_reference and t.code_territoire = r.code_reference
        and t.geographie = q.geographie and t.millesime = q.millesime and t.indicateur = q.indicateur
)

select * from final
order by geographie, millesime, indicateur, code_qp, type_reference
