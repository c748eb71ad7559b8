-- Grain: one row per (code_qp, geographie, millesime, indicateur, type_reference, perimetre_reference). Sources:
-- marts.indicateurs_qpv, marts.indicateurs_territoire (sums over the QPV of a territory), marts.references_territoire
-- (whole territories), marts.ref_indicateurs, intermediate.int_territoires_qpv (commune, EPCI, département and région
-- of a QPV: its main commune and that commune's EPCI, département and région in the COG in use).
-- Two perimeters of reference, never mixed:
-- - perimetre_reference 'ensemble' (lib_perimetre_reference « ensemble de la commune »…): the whole territory, all
--   its households (Filosofi of whole territories, CAF by IRIS summed to communes), for the rates, shares, medians and
--   other non-additive indicators (counts are not compared). The QPV value is compared only with a reference of the
--   same annee_reference (the data year: REVN's Filosofi year ↔ the Filosofi file of that year); the territory is
--   matched by its code (a commune or EPCI code of that year's map equal to the QPV's current one; France
--   métropolitaine for the QPV of metropolitan départements only).
-- - perimetre_reference 'qpv' (« quartiers prioritaires de la commune »…): the aggregate of all the QPV of the
--   territory (the QPV itself included; none when fewer than two QPV enter it), for the ratios only; it answers how the quartiers of a territory compare
--   with each other, not how a quartier compares with its surroundings.
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
    select geographie, code_qp, code_commune, code_epci, code_departement, code_region
    from intermediate.int_territoires_qpv
),

ensembles as (
    select * from marts.references_territoire
),

references_ensemble as (
    select geographie, code_qp, 'commune' as type_reference, code_commune as code_reference from rattachement
    where code_commune is not null
    union all
    select geographie, code_qp, 'epci', code_epci from rattachement where code_epci is not null
    union all
    select geographie, code_qp, 'departement', code_departement from rattachement where code_departement is not null
    union all
    select geographie, code_qp, 'region', code_region from rattachement where code_region is not null
    union all
    select geographie, code_qp, 'france_metropolitaine', '1' from rattachement
    where code_departement is not null and code_departement not like '97%'
),

libelles_perimetres (type_reference, perimetre_reference, lib_perimetre_reference) as (
    values
    ('commune', 'ensemble', 'ensemble de la commune'),
    ('epci', 'ensemble', 'ensemble de l''EPCI'),
    ('departement', 'ensemble', 'ensemble du département'),
    ('region', 'ensemble', 'ensemble de la région'),
    ('france_metropolitaine', 'ensemble', 'France métropolitaine'),
    ('commune', 'qpv', 'quartiers prioritaires de la commune'),
    ('epci', 'qpv', 'quartiers prioritaires de l''EPCI'),
    ('france', 'qpv', 'ensemble des quartiers prioritaires')
),

references_qpv as (
    select geographie, code_qp, 'commune' as type_reference, code_commune as code_reference from rattachement
    where code_commune is not null
    union all
    select geographie, code_qp, 'epci', code_epci from rattachement where code_epci is not null
    union all
    select geographie, code_qp, 'france', 'FR' from rattachement
),

comparaisons_qpv as (
    select
        q.code_qp,
        q.lib_qp,
        q.geographie,
        q.millesime,
        q.annee_reference,
        q.indicateur,
        q.unite,
        q.valeur,
        q.secret,
        r.type_reference,
        r.code_reference,
        t.lib_territoire as lib_reference,
        t.perimetre as perimetre_reference,
        t.valeur as valeur_reference,
        t.secret as secret_reference
    from qpv as q
    inner join dictionnaire as d on d.code = q.indicateur and d.agregation = 'ratio'
    inner join references_qpv as r on r.geographie = q.geographie and r.code_qp = q.code_qp
    inner join territoires as t
        on t.type_territoire = r.type_reference and t.code_territoire = r.code_reference
        and t.geographie = q.geographie and t.millesime = q.millesime and t.indicateur = q.indicateur
    -- an aggregate of one quartier is the quartier itself: no comparison
    where t.nb_qpv >= 2
),

comparaisons_ensemble as (
    select
        q.code_qp,
        q.lib_qp,
        q.geographie,
        q.millesime,
        q.annee_reference,
        q.indicateur,
        q.unite,
        q.valeur,
        q.secret,
        r.type_reference,
        r.code_reference,
        e.lib_territoire as lib_reference,
        'ensemble' as perimetre_reference,
        e.valeur as valeur_reference,
        e.secret as secret_reference
    from qpv as q
    inner join dictionnaire as d on d.code = q.indicateur and d.agregation <> 'somme'
    inner join references_ensemble as r on r.geographie = q.geographie and r.code_qp = q.code_qp
    inner join ensembles as e
        on e.type_territoire = r.type_reference and e.code_territoire = r.code_reference
        and e.annee_reference = q.annee_reference and e.indicateur = q.indicateur
    where e.valeur is not null or e.secret
),

comparaisons as (
    select * from comparaisons_ensemble
    union all
    select * from comparaisons_qpv
),

final as (
    select
        c.code_qp,
        c.lib_qp,
        c.geographie,
        c.millesime,
        c.annee_reference,
        c.indicateur,
        c.unite,
        c.valeur,
        c.secret,
        c.type_reference,
        c.code_reference,
        c.lib_reference,
        c.perimetre_reference,
        l.lib_perimetre_reference,
        c.valeur_reference,
        c.secret_reference,
        c.valeur - c.valeur_reference as ecart,
        case when c.unite = '%' then 'points' else c.unite end as unite_ecart,
        c.valeur / nullif(c.valeur_reference, 0) as rapport
    from comparaisons as c
    left join libelles_perimetres as l
        on l.type_reference = c.type_reference and l.perimetre_reference = c.perimetre_reference
)

select * from final
order by geographie, millesime, indicateur, code_qp, perimetre_reference, type_reference
