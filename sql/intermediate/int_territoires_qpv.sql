-- Grain: one row per QPV (geographie qpv2015 | qpv2024). Sources: intermediate.int_territoires_qpv_communes (communes
-- of each QPV and its main commune), staging.stg_communes (commune -> EPCI, département, région of the current COG),
-- staging.stg_qpv2015 and staging.stg_qpv2024 (names; département and région when no commune is known).
-- A QPV's main commune always lies in the département its code names (QP062040 -> 62), so a QPV counts in that
-- département; without a main commune, the département is taken from the code (both geographies).
-- The territories every aggregate of marts.indicateurs_territoire uses: a QPV counts in ONE commune (its main commune,
-- see int_territoires_qpv_communes), and in the EPCI, département and région of that commune, so that the levels nest
-- (commune ⊂ EPCI, commune ⊂ département ⊂ région ⊂ France) and a QPV is never counted twice.
with communes_qpv as (
    select * from intermediate.int_territoires_qpv_communes
),

communes as (
    select * from staging.stg_communes
    where not est_arrondissement
),

departements as (
    select distinct code_departement, lib_departement, code_region, lib_region
    from staging.stg_communes
    where code_departement is not null
),

qpv as (
    select 'qpv2015' as geographie, code_qp, lib_qp, code_departement, null as code_region, null as lib_region,
        null as code_epci_producteur
    from staging.stg_qpv2015
    union all
    select 'qpv2024' as geographie, code_qp, lib_qp,
        case when substr(code_qp, 3, 1) = '0' then substr(code_qp, 4, 2) else substr(code_qp, 3, 3) end
            as code_departement,
        code_region, lib_region,
        codes_epci[1] as code_epci_producteur
    from staging.stg_qpv2024
),

principales as (
    select * from communes_qpv where est_principale
),

listes as (
    select
        geographie,
        code_qp,
        count(*) as nb_communes,
        list(code_commune order by rang) filter (where code_commune is not null) as codes_communes,
        count(*) filter (where code_commune is null) as nb_communes_non_trouvees
    from communes_qpv
    group by all
),

final as (
    select
        qpv.geographie,
        qpv.code_qp,
        qpv.lib_qp,
        communes.code_commune,
        communes.lib_commune,
        coalesce(listes.nb_communes, 0) as nb_communes,
        listes.codes_communes,
        case
            when communes.code_commune is null and listes.codes_communes <> []
                then 'aucune commune reconnue dans le département du QPV'
            when communes.code_commune is null then 'aucune commune du COG reconnue'
            when listes.nb_communes = 1 then 'commune unique'
            else 'commune principale (la commune listée du département du QPV qui compte le plus de QPV)'
        end as rattachement,
        coalesce(communes.code_epci, case when communes.code_commune is null then qpv.code_epci_producteur end)
            as code_epci,
        communes.lib_epci,
        coalesce(communes.code_departement, qpv.code_departement) as code_departement,
        coalesce(communes.lib_departement, departements.lib_departement) as lib_departement,
        coalesce(communes.code_region, departements.code_region, qpv.code_region) as code_region,
        coalesce(communes.lib_region, departements.lib_region, qpv.lib_region) as lib_region
    from qpv
    left join principales on principales.geographie = qpv.geographie and principales.code_qp = qpv.code_qp
    left join communes on communes.code_commune = principales.code_commune
    left join listes on listes.geographie = qpv.geographie and listes.code_qp = qpv.code_qp
    left join departements on departements.code_departement = qpv.code_departement
)

select * from final
order by geographie, code_qp
