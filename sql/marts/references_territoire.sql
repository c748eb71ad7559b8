-- Grain: one row per (type_territoire, code_territoire, annee_reference, indicateur). Sources:
-- intermediate.int_references_filosofi (INSEE Filosofi of whole communes, EPCI, départements, régions and France
-- métropolitaine), intermediate.int_references_caf_communes (CNAF allocataires by IRIS summed to whole communes),
-- marts.ref_indicateurs (units).
-- The whole territory (all its households, not only those of its quartiers): the reference "ensemble de la commune",
-- "ensemble de l'EPCI"… of marts.ecarts_qpv (perimetre_reference 'ensemble'). Each territory keeps the code and the
-- year of its file (Filosofi: the commune and EPCI map of its year; annee_reference = the data year, never an edition
-- label). secret = the producer withheld the value (blank cell) or a CAF count is under the dictionary's threshold.
-- motif_absence (CAF only): why a commune has no value although it is in the file (IRIS missing or withheld).
-- code_commune_cog: for a commune, its commune in the COG in use (null: the code no longer exists; a commune déléguée
-- or associée: its parent — its own value stays that of the former commune).
with filosofi as (
    select
        type_territoire, code_territoire, lib_territoire, annee_reference, indicateur, valeur,
        cast(null as double) as numerateur, cast(null as double) as denominateur, secret,
        cast(null as varchar) as motif_absence, code_commune_cog, source, fichier_sha256
    from intermediate.int_references_filosofi
),

caf as (
    select
        type_territoire, code_territoire, lib_territoire, annee_reference, indicateur, valeur, numerateur,
        denominateur, secret, motif_absence, code_commune_cog, source, fichier_sha256
    from intermediate.int_references_caf_communes
),

dictionnaire as (
    select code, unite from marts.ref_indicateurs
),

toutes as (
    select * from filosofi
    union all
    select * from caf
),

final as (
    select
        t.type_territoire,
        t.code_territoire,
        t.lib_territoire,
        t.annee_reference,
        t.indicateur,
        t.valeur,
        t.numerateur,
        t.denominateur,
        d.unite,
        t.secret,
        t.motif_absence,
        t.code_commune_cog,
        t.source,
        t.fichier_sha256
    from toutes as t
    inner join dictionnaire as d on d.code = t.indicateur
)

select * from final
order by type_territoire, code_territoire, annee_reference, indicateur
