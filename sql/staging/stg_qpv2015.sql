-- Grain: one row per QPV of the 2015 geography seen in the ANCT/ONPV files. Sources: raw.anct_revn, raw.anct_demo,
-- raw.anct_ipro. Union of the codes; name (and commune names, from DEMO) of the latest edition; first and last
-- edition in which the QPV appears. Département code from the QPV code (QP059077 -> 59, QP02A001 -> 2A, QP974049 -> 974).
with revn as (
    select CODGEO, LIBGEO, null as LIB_COM, millesime, 'REVN' as fichier_type from raw.anct_revn
),

demo as (
    select CODGEO, LIBGEO, LIB_COM, millesime, 'DEMO' as fichier_type from raw.anct_demo
),

ipro as (
    select CODGEO, LIBGEO, null as LIB_COM, millesime, 'IPRO' as fichier_type from raw.anct_ipro
),

lignes as (
    select * from revn
    union all
    select * from demo
    union all
    select * from ipro
),

qpv as (
    select
        CODGEO as code_qp,
        LIBGEO as lib_qp,
        LIB_COM as lib_com,
        millesime,
        -- Same edition in several files: DEMO first (it also carries the commune names), then REVN, then IPRO.
        case fichier_type when 'DEMO' then 1 when 'REVN' then 2 else 3 end as priorite
    from lignes
    where CODGEO <> 'Ensemble'
),

dernier_nom as (
    select code_qp, lib_qp
    from qpv
    where lib_qp is not null
    qualify row_number() over (partition by code_qp order by millesime desc, priorite) = 1
),

derniere_commune as (
    select code_qp, lib_com
    from qpv
    where lib_com is not null
    qualify row_number() over (partition by code_qp order by millesime desc, priorite) = 1
),

editions as (
    select
        code_qp,
        min(millesime) as premier_millesime,
        max(millesime) as dernier_millesime
    from qpv
    group by code_qp
),

final as (
    select
        editions.code_qp,
        dernier_nom.lib_qp,
        case
            when substr(editions.code_qp, 3, 1) = '0' then substr(editions.code_qp, 4, 2)
            else substr(editions.code_qp, 3, 3)
        end as code_departement,
        derniere_commune.lib_com,
        editions.premier_millesime,
        editions.dernier_millesime
    from editions
    left join dernier_nom on dernier_nom.code_qp = editions.code_qp
    left join derniere_commune on derniere_commune.code_qp = editions.code_qp
)

select * from final
order by code_qp
