-- Grain: one row per (code_qp, geographie, millesime, indicateur): every indicator of every theme, before the
-- project's secondary suppression. Sources: intermediate.int_indicateurs_qpv_<theme> (base, chomage, pauvrete,
-- non_recours, ess, entrepreneuriat: THE list of themes of marts.indicateurs_qpv, add a new theme here),
-- marts.ref_indicateurs (unit, factor, aggregation, numerator/denominator codes, seuil_secret),
-- intermediate.int_territoires_qpv (commune, EPCI, département, région of each QPV),
-- intermediate.int_annees_reference_indicateurs (year of reference of the 2015 geography's ANCT/ONPV indicators,
-- from the seeds: annee_reference = the theme's own year when it has one, else the year of the indicator's family).
-- Primary suppression (DOMAIN.md §5, thresholds as data from the dictionary): a count (agregation 'somme') under
-- seuil_secret, or any row whose denominateur is under seuil_secret, is secret (secret_seuil); a producer's blank
-- or a value the theme already withheld stays secret (secret_producteur, its value is unknown here).
-- participe: the row's count (somme) or numerator and denominator (ratio) are known, so it enters the territory
-- sums of marts.indicateurs_territoire; those are the cells the secondary suppression protects
-- (intermediate.int_secret_complementaire). taille orders the cells when one more must be suppressed.
with indicateurs as (
    select * from intermediate.int_indicateurs_qpv_base
    union all by name
    select * from intermediate.int_indicateurs_qpv_chomage
    union all by name
    select * from intermediate.int_indicateurs_qpv_pauvrete
    union all by name
    select * from intermediate.int_indicateurs_qpv_non_recours
    union all by name
    select * from intermediate.int_indicateurs_qpv_ess
    union all by name
    select * from intermediate.int_indicateurs_qpv_entrepreneuriat
),

dictionnaire as (
    select code, unite, facteur, agregation, numerateur_code, denominateur_code, seuil_secret
    from marts.ref_indicateurs
),

territoires as (
    select * from intermediate.int_territoires_qpv
),

annees as (
    select geographie, indicateur, source, millesime, annee_reference
    from intermediate.int_annees_reference_indicateurs
),

joint as (
    select
        i.* exclude (annee_reference),
        coalesce(i.annee_reference, a.annee_reference) as annee_reference,
        d.unite,
        d.facteur,
        d.agregation,
        d.numerateur_code,
        d.denominateur_code,
        d.seuil_secret,
        -- a ratio 0/0 (no event, empty denominator: the theme leaves valeur null) is not a producer's blank: it
        -- stays in the sums (adding 0), else the ratio aggregates would sum the denominator count over fewer QPV
        -- than the count's own aggregates, and the difference would reveal the secret 0 (tests/test_disclosure.py)
        coalesce(i.secret, false)
        or (i.valeur is null and not (d.agregation = 'ratio' and i.numerateur = 0 and i.denominateur = 0))
            as secret_producteur,
        t.code_commune,
        t.code_epci,
        t.code_departement,
        t.code_region
    from indicateurs as i
    inner join dictionnaire as d on d.code = i.indicateur
    left join territoires as t on t.geographie = i.geographie and t.code_qp = i.code_qp
    left join annees as a
        on a.geographie = i.geographie and a.indicateur = i.indicateur and a.source = i.source
        and a.millesime = i.millesime
),

regles as (
    select
        *,
        not secret_producteur and (
            (agregation = 'somme' and valeur < seuil_secret)
            or (denominateur is not null and denominateur < seuil_secret)
        ) as secret_seuil,
        not secret_producteur and (
            (agregation = 'somme' and valeur is not null)
            or (agregation = 'ratio' and numerateur is not null and denominateur is not null and denominateur >= 0)
        ) as participe
    from joint
),

final as (
    select
        code_qp,
        lib_qp,
        geographie,
        millesime,
        annee_reference,
        indicateur,
        valeur,
        numerateur,
        denominateur,
        borne_basse,
        borne_haute,
        source,
        fichier_sha256,
        unite,
        facteur,
        agregation,
        numerateur_code,
        denominateur_code,
        seuil_secret,
        secret_producteur,
        coalesce(secret_seuil, false) as secret_seuil,
        participe,
        case when agregation = 'ratio' then denominateur else valeur end as taille,
        code_commune,
        code_epci,
        code_departement,
        code_region,
        geographie || '|' || millesime || '|' || indicateur as serie,
        geographie || '|' || millesime || '|' || numerateur_code as serie_numerateur,
        geographie || '|' || millesime || '|' || denominateur_code as serie_denominateur
    from regles
)

select * from final
