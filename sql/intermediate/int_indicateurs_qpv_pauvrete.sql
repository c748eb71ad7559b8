-- Grain: one row per QPV (2015 geography), edition and indicator of the "pauvrete" theme: producer rates and income
-- distribution (taux_pauvrete_60; disposable and declared income per UC: median, quartiles, D1, D9, inter-decile
-- ratio; income composition; share of households taxed; CAF low-income rate), CAF and CNAM counts, and the shares
-- built on the counts.
-- Sources: staging.stg_anct_revn (ANCT/ONPV REVN), staging.stg_anct_demo (DEMO, for part_population_couverte_caf);
-- dictionary intermediate.int_ref_indicateurs (thème pauvrete) (+ _base for the denominators' codes). A blank cell of the
-- producer, a count under seuil_secret, or a ratio whose numerator count or denominator is under its threshold is
-- secret: valeur, numerateur, denominateur null, never 0. An indicator with no value at all in an edition is a column
-- the edition does not have (APPA before 2018, CCMUC up to 2019, C and CC2S from 2021): no rows, not secret rows.
with revn as (
    select * from staging.stg_anct_revn
),

demo as (
    select * from staging.stg_anct_demo
),

noms as (
    select code_qp, lib_qp from staging.stg_qpv2015
),

dictionnaire as (
    select code, facteur, seuil_secret from intermediate.int_ref_indicateurs where theme = 'pauvrete'
    union all
    select code, facteur, seuil_secret from intermediate.int_ref_indicateurs where theme = 'base'
),

-- The producer's rates and medians, and the counts, one column each: turned into rows (unpivot include nulls: a
-- blank cell stays a row, and comes out secret).
-- The inter-decile ratios: the producer's column from edition 2021, else D9 / D1 of the same row rounded to one
-- decimal as the producer does (null, like the producer's blank, when either decile is withheld or D1 is 0).
revn_rapports as (
    select
        *,
        coalesce(rapport_interdecile_publie, round(revenu_d9_uc / nullif(revenu_d1_uc, 0), 1))
            as rapport_interdecile,
        coalesce(
            rapport_interdecile_declare_publie, round(revenu_declare_d9_uc / nullif(revenu_declare_d1_uc, 0), 1)
        ) as rapport_interdecile_declare
    from revn
),

taux_producteur as (
    select code_qp, lib_qp, millesime, fichier_sha256, indicateur, cast(valeur as double) as valeur
    from revn_rapports
    unpivot include nulls (
        valeur for indicateur in (
            taux_pauvrete_60, revenu_median_uc, part_prestations_revenu,
            revenu_q1_uc, revenu_q3_uc, revenu_d1_uc, revenu_d9_uc, rapport_interdecile,
            revenu_declare_median_uc, revenu_declare_q1_uc, revenu_declare_q3_uc, revenu_declare_d1_uc,
            revenu_declare_d9_uc, rapport_interdecile_declare,
            part_revenus_activite, part_pensions_revenu, part_impots_revenu, part_patrimoine_revenu,
            part_menages_imposes, part_menages_chomage_principal, taux_bas_revenus
        )
    )
),

comptages as (
    select code_qp, lib_qp, millesime, fichier_sha256, indicateur, nombre
    from revn
    unpivot include nulls (
        nombre for indicateur in (
            allocataires_dependants_50,
            allocataires_dependants_100,
            allocataires_rsa_socle,
            allocataires_prime_activite,
            allocataires_aah,
            allocataires_rsa,
            beneficiaires_c2s,
            beneficiaires_cmu_c
        )
    )
),

-- Shares: numerator and denominator are counts of the same row of the same file.
ratios as (
    select code_qp, lib_qp, millesime, fichier_sha256, 'part_allocataires_dependants_50' as indicateur,
        'allocataires_dependants_50' as code_numerateur,
        allocataires_dependants_50 as numerateur, foyers_allocataires as denominateur, 'ANCT/ONPV REVN' as source
    from revn
    union all
    select code_qp, lib_qp, millesime, fichier_sha256, 'part_allocataires_dependants_100',
        'allocataires_dependants_100', allocataires_dependants_100, foyers_allocataires, 'ANCT/ONPV REVN'
    from revn
    union all
    select code_qp, lib_qp, millesime, fichier_sha256, 'part_allocataires_rsa',
        'allocataires_rsa_socle', allocataires_rsa_socle, foyers_allocataires, 'ANCT/ONPV REVN'
    from revn
    union all
    select code_qp, lib_qp, millesime, fichier_sha256, 'part_allocataires_prime_activite',
        'allocataires_prime_activite', allocataires_prime_activite, foyers_allocataires, 'ANCT/ONPV REVN'
    from revn
    union all
    select code_qp, lib_qp, millesime, fichier_sha256, 'part_allocataires_aah',
        'allocataires_aah', allocataires_aah, foyers_allocataires, 'ANCT/ONPV REVN'
    from revn
    union all
    select code_qp, lib_qp, millesime, fichier_sha256, 'taux_couverture_c2s',
        'beneficiaires_c2s', beneficiaires_c2s, personnes_couvertes_regime_general, 'ANCT/ONPV REVN'
    from revn
    union all
    select d.code_qp, coalesce(d.lib_qp, n.lib_qp), d.millesime, d.fichier_sha256, 'part_population_couverte_caf',
        'personnes_couvertes_caf', d.personnes_couvertes_caf, d.population, 'ANCT/ONPV DEMO'
    from demo as d
    left join noms as n on n.code_qp = d.code_qp
),

lignes as (
    select
        t.code_qp, t.lib_qp, 'qpv2015' as geographie, t.millesime, cast(null as integer) as annee_reference,
        t.indicateur,
        cast(t.valeur as double) as valeur, cast(null as double) as numerateur, cast(null as double) as denominateur,
        cast(null as double) as borne_basse, cast(null as double) as borne_haute,
        t.valeur is null as secret,
        d.code is null as hors_dictionnaire,
        'ANCT/ONPV REVN' as source, t.fichier_sha256
    from taux_producteur as t
    left join dictionnaire as d on d.code = t.indicateur
    union all
    select
        c.code_qp, c.lib_qp, 'qpv2015', c.millesime, null, c.indicateur,
        c.nombre, c.nombre, null, null, null,
        c.nombre is null or c.nombre < d.seuil_secret,
        d.code is null,
        'ANCT/ONPV REVN', c.fichier_sha256
    from comptages as c
    left join dictionnaire as d on d.code = c.indicateur
    union all
    select
        r.code_qp, r.lib_qp, 'qpv2015', r.millesime, null, r.indicateur,
        d.facteur * r.numerateur / r.denominateur, r.numerateur, r.denominateur, null, null,
        r.numerateur is null or r.denominateur is null or r.denominateur = 0
        or r.denominateur < d.seuil_secret or r.numerateur < dn.seuil_secret,
        d.code is null or dn.code is null,
        r.source, r.fichier_sha256
    from ratios as r
    left join dictionnaire as d on d.code = r.indicateur
    left join dictionnaire as dn on dn.code = r.code_numerateur
),

-- Columns absent from an edition give an indicator with no value at all in it: dropped (not published as secret).
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
                'indicateur ' || indicateur || ' (ou son numérateur) absent de intermediate.int_ref_indicateurs (thème pauvrete)'
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
