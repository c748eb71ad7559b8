-- Grain: one row per (code_qp, geographie, millesime, indicateur). Sources: intermediate.int_secret_cellules (every
-- theme's indicators: the list of themes is there), intermediate.int_secret_complementaire (secondary suppression),
-- marts.ref_indicateurs (units, rupture rules). The observatory's main table, long format.
-- secret = true (valeur, numerateur, denominateur and bounds null, never 0) when: the producer or the theme withheld
-- the value; a count is under the dictionary's seuil_secret; a denominator is under it; the numerator or denominator
-- count of a ratio is secret; or the secondary suppression chose the cell so that no secret value can be recovered
-- from a territory total of marts.indicateurs_territoire minus the published QPV (rule in the header of
-- intermediate.int_secret_complementaire and in ref_indicateurs.regle_secret), or the audit suppressed it so that
-- an additive relation (marts.ref_relations_additives: total = Σ composantes) reveals no other
-- (intermediate.int_secret_editions, niveau 'qpv').
-- annee_reference = the year of the data (DEFM 2024, SIRENE: from the theme; 2015 geography's ANCT/ONPV files: from
-- the seeds, intermediate.int_annees_reference_indicateurs), never the edition label.
-- rupture = true on the first value of a series (QPV × indicator) that is not comparable with the previous one: first
-- edition of the indicator in the 2024 geography, source changed since the previous edition of the QPV, the census
-- behind the value changed base (family with rupture_si_changement, intermediate.int_annees_reference_indicateurs:
-- annee_reference moved by a number of years other than 0 or the gap between the two editions of the QPV), or an
-- edition listed in ref_indicateurs.millesimes_rupture (rule in ref_indicateurs.regle_rupture).
with cellules as (
    select * from intermediate.int_secret_cellules
),

complementaire as (
    select code_qp, serie, secret from intermediate.int_secret_complementaire
    where niveau = 'qpv'
),

relations as (
    select code_territoire as code_qp, serie from intermediate.int_secret_editions
    where niveau = 'qpv'
),

dictionnaire as (
    select code, millesimes_rupture from marts.ref_indicateurs
),

familles as (
    select geographie, indicateur, source, millesime, rupture_si_changement
    from intermediate.int_annees_reference_indicateurs
),

secrets as (
    select
        c.*,
        c.secret_producteur or c.secret_seuil or coalesce(s.secret, false) or r.code_qp is not null as secret
    from cellules as c
    left join complementaire as s on s.serie = c.serie and s.code_qp = c.code_qp
    left join relations as r on r.serie = c.serie and r.code_qp = c.code_qp
),

premiers_2024 as (
    select indicateur, min(millesime) as premier_millesime
    from cellules
    where geographie = 'qpv2024'
    group by indicateur
),

precedents as (
    select
        s.*,
        coalesce(f.rupture_si_changement, false) as rupture_si_changement,
        lag(s.source) over serie as source_precedente,
        lag(s.millesime) over serie as millesime_precedent,
        lag(s.annee_reference) over serie as annee_precedente
    from secrets as s
    left join familles as f
        on f.geographie = s.geographie and f.indicateur = s.indicateur and f.source = s.source
        and f.millesime = s.millesime
    window serie as (partition by s.code_qp, s.geographie, s.indicateur order by s.millesime)
),

ruptures as (
    select
        s.*,
        (s.geographie = 'qpv2024' and s.millesime = p.premier_millesime)
        or coalesce(s.source_precedente <> s.source, false)
        or coalesce(
            s.rupture_si_changement
            and s.annee_reference <> s.annee_precedente
            and s.annee_reference - s.annee_precedente <> s.millesime - s.millesime_precedent,
            false
        )
        or list_contains(d.millesimes_rupture, s.millesime) as rupture
    from precedents as s
    left join premiers_2024 as p on p.indicateur = s.indicateur
    inner join dictionnaire as d on d.code = s.indicateur
),

final as (
    select
        code_qp,
        lib_qp,
        geographie,
        millesime,
        annee_reference,
        indicateur,
        case when secret then null else valeur end as valeur,
        case when secret then null else numerateur end as numerateur,
        case when secret then null else denominateur end as denominateur,
        unite,
        case when secret then null else borne_basse end as borne_basse,
        case when secret then null else borne_haute end as borne_haute,
        secret,
        source,
        fichier_sha256,
        coalesce(rupture, false) as rupture
    from ruptures
)

select * from final
order by geographie, millesime, code_qp, indicateur
