-- Grain: one row per (type_territoire, code_territoire, perimetre, geographie, millesime, indicateur). Sources:
-- intermediate.int_secret_complementaire (sums over the QPV and secondary suppression), intermediate.int_secret_editions
-- (aggregates withheld by the audit across editions), intermediate.int_territoires_qpv (names of the territories),
-- marts.ref_indicateurs (units).
-- The indicators of all the QPV of a territory (perimetre = 'qpv'): commune, EPCI, département, région, France. Each
-- QPV counts in one commune (its main commune when it spans several, see intermediate.int_territoires_qpv_communes)
-- and in that commune's EPCI, département and région (current COG). Computed from counts, never by averaging rates:
-- counts ('somme') are summed; ratios are facteur × Σ numerateur / Σ denominateur over the QPV whose numerator and
-- denominator are known. Non-additive indicators (medians, producer rates without counts: agregation 'non_additif')
-- are not aggregated: no row, not even a population-weighted approximation.
-- nb_qpv = number of QPV whose value enters the sum (a QPV whose value the producer withheld is not in it: the sum is
-- then a lower bound of the territory's total; compare nb_qpv across territories and editions).
-- secret = true (valeur, numerateur, denominateur null) when the aggregate is under the dictionary's threshold or when
-- publishing it would let a secret QPV value be recovered by difference (intermediate.int_secret_complementaire), within
-- an edition or by combining the sums of several editions (intermediate.int_secret_editions).
-- The whole territory (perimetre 'territoire', e.g. CAF or Filosofi by IRIS summed to communes) is not produced yet.
with agregats as (
    select s.* exclude (secret), s.secret or e.serie is not null as secret
    from intermediate.int_secret_complementaire as s
    left join intermediate.int_secret_editions as e
        on e.niveau = s.niveau and e.code_territoire = s.code_territoire and e.serie = s.serie
    where s.niveau <> 'qpv'
),

territoires as (
    select * from intermediate.int_territoires_qpv
),

noms as (
    select distinct 'commune' as niveau, geographie, code_commune as code, lib_commune as lib
    from territoires where code_commune is not null
    union
    select distinct 'epci', geographie, code_epci, lib_epci from territoires where code_epci is not null
    union
    select distinct 'departement', geographie, code_departement, lib_departement
    from territoires where code_departement is not null
    union
    select distinct 'region', geographie, code_region, lib_region from territoires where code_region is not null
),

noms_uniques as (
    select niveau, geographie, code, min(lib) as lib
    from noms
    group by all
),

dictionnaire as (
    select code, unite from marts.ref_indicateurs
),

final as (
    select
        a.niveau as type_territoire,
        a.code_territoire,
        case when a.niveau = 'france' then 'France' else n.lib end as lib_territoire,
        'qpv' as perimetre,
        a.geographie,
        a.millesime,
        a.indicateur,
        case when a.secret then null else a.valeur end as valeur,
        case when a.secret then null else a.numerateur end as numerateur,
        case when a.secret then null else a.denominateur end as denominateur,
        d.unite,
        a.secret,
        a.nb_qpv
    from agregats as a
    inner join dictionnaire as d on d.code = a.indicateur
    left join noms_uniques as n
        on n.niveau = a.niveau and n.geographie = a.geographie and n.code = a.code_territoire
)

select * from final
order by geographie, millesime, indicateur, type_territoire, code_territoire
