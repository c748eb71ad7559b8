-- Grain: one row per QPV, geography, edition and indicator of the "chomage" theme (insertion and labour market):
-- job-seeker counts (by category, sex, age band, registration length, RSA, nationality, level of education), Q4
-- counts and the producer's one-year changes, subsidised contracts (ASP), employment and precarious-job rates
-- (census), and the shares built on the counts.
-- Sources: staging.stg_anct_ipro (qpv2015, ANCT/ONPV IPRO), staging.stg_defm_qpv2024 (qpv2024, France Travail DEFM),
-- intermediate.int_indicateurs_qpv_base (estimated 15-64 population); dictionary intermediate.int_ref_indicateurs (thème chomage)
-- (factors, numerator codes, suppression thresholds). A blank cell of the producer, a count under seuil_secret, or a
-- ratio whose numerator count or denominator is under its threshold is secret: valeur, numerateur, denominateur null.
-- An indicator with no value at all in an edition is a column the file does not have: no rows, not secret rows.
with ipro as (
    select * from staging.stg_anct_ipro
),

defm as (
    select * from staging.stg_defm_qpv2024
),

noms_2024 as (
    select code_qp, min(lib_qp) as lib_qp from staging.stg_qpv2024 group by code_qp
),

population_15_64 as (
    select code_qp, millesime, valeur, borne_basse, borne_haute
    from intermediate.int_indicateurs_qpv_base
    where indicateur = 'population_15_64_estimee' and geographie = 'qpv2015'
),

dictionnaire as (
    select code, facteur, numerateur_code, seuil_secret from intermediate.int_ref_indicateurs where theme = 'chomage'
    union all
    select code, facteur, numerateur_code, seuil_secret from intermediate.int_ref_indicateurs where theme = 'base'
),

ipro_colonnes as (
    select
        code_qp,
        lib_qp,
        millesime,
        fichier_sha256,
        demandeurs_emploi_abcde,
        demandeurs_emploi_abc,
        demandeurs_emploi_a,
        demandeurs_emploi_abc_femmes,
        demandeurs_emploi_abc_hommes,
        demandeurs_emploi_a_femmes,
        demandeurs_emploi_a_hommes,
        demandeurs_emploi_abc_moins_25 as demandeurs_emploi_abc_moins_26_ans,  -- "25 ans ou moins"
        demandeurs_emploi_abc_26_49 as demandeurs_emploi_abc_26_49_ans,
        demandeurs_emploi_abc_50_plus as demandeurs_emploi_abc_50_ans_plus,
        demandeurs_emploi_abc_longue_duree,
        demandeurs_emploi_abc_duree_1 as demandeurs_emploi_abc_anciennete_tranche_1,
        demandeurs_emploi_abc_duree_2 as demandeurs_emploi_abc_anciennete_tranche_2,
        demandeurs_emploi_abc_duree_3 as demandeurs_emploi_abc_anciennete_tranche_3,
        demandeurs_emploi_abc_duree_4 as demandeurs_emploi_abc_anciennete_tranche_4,
        demandeurs_emploi_abc_rsa,
        demandeurs_emploi_abc_etrangers,
        demandeurs_emploi_abcde_femmes,
        demandeurs_emploi_abcde_hommes,
        demandeurs_emploi_abc_rsa_femmes,
        demandeurs_emploi_abc_rsa_hommes,
        demandeurs_emploi_abc_francais,
        demandeurs_emploi_abc_infra_cap_bep,
        demandeurs_emploi_abc_infra_cap_bep_femmes,
        demandeurs_emploi_abc_infra_cap_bep_hommes,
        demandeurs_emploi_abc_cap_bep,
        demandeurs_emploi_abc_cap_bep_femmes,
        demandeurs_emploi_abc_cap_bep_hommes,
        demandeurs_emploi_abc_bac,
        demandeurs_emploi_abc_bac_femmes,
        demandeurs_emploi_abc_bac_hommes,
        demandeurs_emploi_abc_superieur_bac,
        demandeurs_emploi_abc_superieur_bac_femmes,
        demandeurs_emploi_abc_superieur_bac_hommes,
        demandeurs_emploi_a_t4,
        demandeurs_emploi_a_t4_annee_precedente,
        contrats_aides,
        contrats_aides_femmes,
        contrats_aides_hommes
    from ipro
),

defm_colonnes as (
    select
        d.code_qp,
        coalesce(d.lib_qp, n.lib_qp) as lib_qp,
        d.millesime,
        d.fichier_sha256,
        d.demandeurs_emploi_abcde,
        d.demandeurs_emploi_abc,
        d.demandeurs_emploi_a,
        d.demandeurs_emploi_abc_femmes,
        d.demandeurs_emploi_abc_hommes,
        d.demandeurs_emploi_a_femmes,
        d.demandeurs_emploi_a_hommes,
        d.demandeurs_emploi_abc_moins_25_ans,
        d.demandeurs_emploi_abc_25_49_ans,
        d.demandeurs_emploi_abc_50_plus as demandeurs_emploi_abc_50_ans_plus,
        d.demandeurs_emploi_abc_longue_duree,
        d.demandeurs_emploi_abc_rsa
    from defm as d
    left join noms_2024 as n on n.code_qp = d.code_qp
),

-- Counts read as they are, one column each: turned into rows (unpivot include nulls: a blank cell stays a row, and
-- comes out secret).
ipro_long as (
    select *
    from ipro_colonnes
    unpivot include nulls (
        nombre for indicateur in (columns(* exclude (code_qp, lib_qp, millesime, fichier_sha256)))
    )
),

defm_long as (
    select *
    from defm_colonnes
    unpivot include nulls (
        nombre for indicateur in (columns(* exclude (code_qp, lib_qp, millesime, fichier_sha256)))
    )
),

comptages as (
    select
        code_qp, lib_qp, 'qpv2015' as geographie, millesime, cast(null as integer) as annee_reference,
        indicateur, cast(nombre as double) as nombre, 'ANCT/ONPV IPRO' as source, fichier_sha256
    from ipro_long
    union all
    select
        code_qp, lib_qp, 'qpv2024', millesime, millesime,
        indicateur, cast(nombre as double), 'France Travail DEFM QPV 2024', fichier_sha256
    from defm_long
),

-- Shares: numerator and denominator counts of the same row of the file (or the estimated 15-64 population).
ratios as (
    select
        i.code_qp, i.lib_qp, 'qpv2015' as geographie, i.millesime, cast(null as integer) as annee_reference,
        'indicateur_chomage_abc' as indicateur,
        'demandeurs_emploi_abc' as code_numerateur,
        'population_15_64_estimee' as code_denominateur,
        cast(i.demandeurs_emploi_abc as double) as numerateur,
        p.valeur as denominateur,
        p.borne_haute as denominateur_haut,
        p.borne_basse as denominateur_bas,
        'ANCT/ONPV IPRO, DEMO (estimation)' as source,
        i.fichier_sha256
    from ipro as i
    left join population_15_64 as p on p.code_qp = i.code_qp and p.millesime = i.millesime
    union all
    select
        code_qp, lib_qp, 'qpv2015', millesime, null, 'part_demandeurs_longue_duree',
        'demandeurs_emploi_abc_longue_duree', 'demandeurs_emploi_abc',
        demandeurs_emploi_abc_longue_duree, demandeurs_emploi_abc, null, null, 'ANCT/ONPV IPRO', fichier_sha256
    from ipro
    union all
    select
        code_qp, lib_qp, 'qpv2015', millesime, null, 'part_jeunes_demandeurs',
        'demandeurs_emploi_abc_moins_26_ans', 'demandeurs_emploi_abc',
        demandeurs_emploi_abc_moins_25, demandeurs_emploi_abc, null, null, 'ANCT/ONPV IPRO', fichier_sha256
    from ipro
    union all
    -- Shares by level of education: each level's count over all ABC job seekers of the same row.
    select
        code_qp, lib_qp, 'qpv2015', millesime, null, 'part_demandeurs_' || niveau,
        'demandeurs_emploi_abc_' || niveau, 'demandeurs_emploi_abc',
        nombre, demandeurs_emploi_abc, null, null, 'ANCT/ONPV IPRO', fichier_sha256
    from (
        select code_qp, lib_qp, millesime, fichier_sha256, demandeurs_emploi_abc, niveau, nombre
        from (
            select
                code_qp, lib_qp, millesime, fichier_sha256, demandeurs_emploi_abc,
                demandeurs_emploi_abc_infra_cap_bep as infra_cap_bep,
                demandeurs_emploi_abc_cap_bep as cap_bep,
                demandeurs_emploi_abc_bac as bac,
                demandeurs_emploi_abc_superieur_bac as superieur_bac
            from ipro
        )
        unpivot include nulls (nombre for niveau in (infra_cap_bep, cap_bep, bac, superieur_bac))
    )
    union all
    select
        code_qp, lib_qp, 'qpv2024', millesime, millesime, 'part_demandeurs_longue_duree',
        'demandeurs_emploi_abc_longue_duree', 'demandeurs_emploi_abc',
        demandeurs_emploi_abc_longue_duree, demandeurs_emploi_abc, null, null, 'France Travail DEFM QPV 2024',
        fichier_sha256
    from defm_colonnes
    union all
    select
        code_qp, lib_qp, 'qpv2024', millesime, millesime, 'part_jeunes_demandeurs',
        'demandeurs_emploi_abc_moins_25_ans', 'demandeurs_emploi_abc',
        demandeurs_emploi_abc_moins_25_ans, demandeurs_emploi_abc, null, null, 'France Travail DEFM QPV 2024',
        fichier_sha256
    from defm_colonnes
),

-- The producer's rates (employment, precarious jobs: census; one-year change of job seekers at Q4: DEFM), one
-- column each: turned into rows like the counts.
taux_producteur as (
    select code_qp, lib_qp, millesime, fichier_sha256, indicateur, valeur
    from ipro
    unpivot include nulls (
        valeur for indicateur in (
            taux_emploi_15_64, taux_emploi_15_64_femmes, taux_emploi_15_64_etrangers,
            part_emplois_precaires, part_emplois_precaires_femmes, part_emplois_precaires_etrangers,
            evolution_demandeurs_emploi_abc_t4, evolution_demandeurs_emploi_abc_t4_femmes,
            evolution_demandeurs_emploi_abc_t4_hommes, evolution_demandeurs_emploi_a_t4,
            evolution_demandeurs_emploi_a_t4_femmes, evolution_demandeurs_emploi_a_t4_hommes
        )
    )
),

lignes as (
    select
        c.code_qp, c.lib_qp, c.geographie, c.millesime, c.annee_reference, c.indicateur,
        c.nombre as valeur, c.nombre as numerateur, cast(null as double) as denominateur,
        cast(null as double) as borne_basse, cast(null as double) as borne_haute,
        c.nombre is null or c.nombre < d.seuil_secret as secret,
        d.code is null as hors_dictionnaire,
        c.source, c.fichier_sha256
    from comptages as c
    left join dictionnaire as d on d.code = c.indicateur
    union all
    select
        r.code_qp, r.lib_qp, r.geographie, r.millesime, r.annee_reference, r.indicateur,
        d.facteur * r.numerateur / r.denominateur,
        r.numerateur, r.denominateur,
        d.facteur * r.numerateur / r.denominateur_haut,
        d.facteur * r.numerateur / r.denominateur_bas,
        r.numerateur is null or r.denominateur is null or r.denominateur = 0
        or r.denominateur < d.seuil_secret or r.numerateur < dn.seuil_secret,
        d.code is null or dn.code is null,
        r.source, r.fichier_sha256
    from ratios as r
    left join dictionnaire as d on d.code = r.indicateur
    left join dictionnaire as dn on dn.code = r.code_numerateur
    union all
    select
        t.code_qp, t.lib_qp, 'qpv2015', t.millesime, null, t.indicateur,
        t.valeur, null, null, null, null,
        t.valeur is null,
        d.code is null,
        'ANCT/ONPV IPRO', t.fichier_sha256
    from taux_producteur as t
    left join dictionnaire as d on d.code = t.indicateur
),

-- Columns absent from an edition (optional DEFM columns) give an indicator with no value at all in it: dropped.
presents as (
    select *
    from lignes
    qualify count(coalesce(valeur, numerateur)) over (partition by geographie, millesime, indicateur) > 0
),

controles as (
    select
        *,
        case
            when hors_dictionnaire then error(
                'indicateur ' || indicateur || ' (ou son numérateur) absent de intermediate.int_ref_indicateurs (thème chomage)'
            )
        end as erreur
    from presents
),

verifiees as (
    select * from controles where erreur is null
),

final as (
    select * from {{ long_shape('verifiees') }}
)

select * from final
