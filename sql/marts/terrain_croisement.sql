-- Grain: one row per (code_qp, terrain, annee, indicateur): the terrain observations of a 2024 QPV in a year (all
-- categories) next to the statistics of that terrain. Sources: intermediate.int_terrain_observations (conforming,
-- anonymised observations), marts.observations_terrain (its published categories and thresholds),
-- marts.indicateurs_qpv (the statistics, secret already applied), marts.ref_indicateurs (labels, units),
-- marts.passage_qpv2015_qpv2024 (establishment-weighted correspondence, no official table exists).
-- Statistics per terrain: non_recours -> non-recours estimates (RSA, prime d'activité, with their range), RSA
-- coverage index, share of the population covered by the CAF, share of RSA claimants; economie_informelle and
-- entrepreneuriat -> establishment creations (count, rate, share of individual entrepreneurs), ESS jobs and share,
-- registered jobseekers (count, unemployment indicator). The latest edition of the QPV in the 2024 geography;
-- when the indicator exists only in the 2015 geography, the latest edition of the 2015 QPV holding the largest share
-- of the 2024 QPV's establishments (geographie_indicateur = 'qpv2015', correspondance says so): an approximation.
-- The terrain's total is secret (null, never 0) under the thresholds of marts.observations_terrain (3 observations,
-- seuil_secret persons or households); that mart's secondary suppression keeps its categories consistent with it.
with observations as (
    select * from intermediate.int_terrain_observations
),

seuils as (
    select distinct seuil_secret, seuil_observations from marts.observations_terrain
),

totaux as (
    select
        code_qp,
        any_value(lib_qp) as lib_qp,
        terrain,
        annee,
        count(*) as nb_observations,
        sum(nombre_concernes) as nb_concernes,
        count(distinct structure_empreinte) as nb_structures
    from observations
    group by code_qp, terrain, annee
),

totaux_secret as (
    select
        t.*,
        t.nb_concernes < coalesce(s.seuil_secret, 11) or t.nb_observations < coalesce(s.seuil_observations, 3)
        as secret
    from totaux as t
    left join (select max(seuil_secret) as seuil_secret, max(seuil_observations) as seuil_observations from seuils) as s
        on true
),

categories as (
    select code_qp, terrain, annee, list(categorie order by nb_concernes desc, categorie) as categories_publiees
    from marts.observations_terrain
    where type_periode = 'annee' and not secret
    group by all
),

statistiques (terrain, indicateur, ordre) as (
    values
    ('non_recours', 'non_recours_rsa_estime', 1),
    ('non_recours', 'indice_couverture_rsa', 2),
    ('non_recours', 'non_recours_prime_activite_estime', 3),
    ('non_recours', 'part_population_couverte_caf', 4),
    ('non_recours', 'part_allocataires_rsa', 5),
    ('economie_informelle', 'creations_etablissements', 1),
    ('economie_informelle', 'taux_creation', 2),
    ('economie_informelle', 'emplois_ess', 3),
    ('economie_informelle', 'part_emplois_ess', 4),
    ('economie_informelle', 'demandeurs_emploi_abc', 5),
    ('economie_informelle', 'indicateur_chomage_abc', 6),
    ('entrepreneuriat', 'creations_etablissements', 1),
    ('entrepreneuriat', 'taux_creation', 2),
    ('entrepreneuriat', 'part_creations_entrepreneurs_individuels', 3),
    ('entrepreneuriat', 'emplois_ess', 4),
    ('entrepreneuriat', 'part_emplois_ess', 5),
    ('entrepreneuriat', 'demandeurs_emploi_abc', 6),
    ('entrepreneuriat', 'indicateur_chomage_abc', 7)
),

derniers as (
    select * from marts.indicateurs_qpv
    qualify row_number() over (partition by geographie, code_qp, indicateur order by millesime desc) = 1
),

passage as (
    select code_qp2024, code_qp2015, lib_qp2015, part_etablissements_qp2024
    from marts.passage_qpv2015_qpv2024
    where millesime = (select max(millesime) from marts.passage_qpv2015_qpv2024) and code_qp2024 is not null
    qualify row_number() over (
        partition by code_qp2024 order by part_etablissements_qp2024 desc, code_qp2015
    ) = 1
),

paires as (
    select t.*, s.indicateur, s.ordre
    from totaux_secret as t
    inner join statistiques as s on s.terrain = t.terrain
),

joint as (
    select
        p.*,
        coalesce(d24.geographie, d15.geographie) as geographie_indicateur,
        coalesce(d24.code_qp, d15.code_qp) as code_qp_indicateur,
        coalesce(d24.millesime, d15.millesime) as millesime,
        coalesce(d24.annee_reference, d15.annee_reference) as annee_reference,
        case when d24.code_qp is not null then d24.valeur else d15.valeur end as valeur,
        case when d24.code_qp is not null then d24.borne_basse else d15.borne_basse end as borne_basse,
        case when d24.code_qp is not null then d24.borne_haute else d15.borne_haute end as borne_haute,
        coalesce(d24.secret, d15.secret) as secret_indicateur,
        coalesce(d24.source, d15.source) as source_indicateur,
        case
            when d24.code_qp is null and d15.code_qp is not null then
                'approximation : quartier 2015 ' || pa.code_qp2015 || ' (' || pa.lib_qp2015 || '), '
                || cast(round(100 * pa.part_etablissements_qp2024) as integer) || ' % des établissements du quartier 2024'
        end as correspondance
    from paires as p
    left join derniers as d24
        on d24.geographie = 'qpv2024' and d24.code_qp = p.code_qp and d24.indicateur = p.indicateur
    left join passage as pa on pa.code_qp2024 = p.code_qp
    left join derniers as d15
        on d15.geographie = 'qpv2015' and d15.code_qp = pa.code_qp2015 and d15.indicateur = p.indicateur
),

final as (
    select
        j.code_qp,
        j.lib_qp,
        j.terrain,
        j.annee,
        case when j.secret then null else j.nb_observations end as nb_observations,
        case when j.secret then null else j.nb_concernes end as nb_concernes,
        case when j.secret then null else j.nb_structures end as nb_structures,
        j.secret as secret_observations,
        coalesce(c.categories_publiees, []::varchar[]) as categories_publiees,
        j.ordre,
        j.indicateur,
        r.libelle as libelle_indicateur,
        r.unite,
        j.geographie_indicateur,
        j.code_qp_indicateur,
        j.millesime,
        j.annee_reference,
        j.valeur,
        j.borne_basse,
        j.borne_haute,
        coalesce(j.secret_indicateur, false) as secret_indicateur,
        j.source_indicateur,
        j.correspondance
    from joint as j
    left join marts.ref_indicateurs as r on r.code = j.indicateur
    left join categories as c on c.code_qp = j.code_qp and c.terrain = j.terrain and c.annee = j.annee
)

select * from final
order by code_qp, terrain, annee, ordre
