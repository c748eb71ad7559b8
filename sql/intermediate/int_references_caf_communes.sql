-- Grain: one row per (commune, annee_reference, indicateur) of the CAF files by IRIS. Sources: staging.stg_caf_iris
-- (CNAF allocataires by IRIS), staging.stg_filosofi_iris (the IRIS of each commune INSEE publishes, to check that
-- none is missing), raw.insee_cog_communes (municipal arrondissements summed to Paris, Lyon and Marseille too),
-- staging.stg_communes (names and current codes), intermediate.int_ref_indicateurs (thresholds).
-- The whole commune's allocataires, summed over its IRIS (annee_reference = the file's year: allocataires at
-- 31 December). A commune gets a value only when the sum is complete: every IRIS row of the commune in the file has
-- the count (a withheld IRIS count makes the commune's sum unknown), and every IRIS of the commune listed by the
-- Filosofi IRIS file of the same year is in the CAF file. Otherwise valeur is null and motif_absence says why. Shares
-- are 100 × Σ numerator / Σ foyers_allocataires over the same IRIS. secret = a count under the dictionary's threshold.
with iris as (
    select * from staging.stg_caf_iris
),

arrondissements as (
    select COM as code_arrondissement, COMPARENT as code_parent from raw.insee_cog_communes
    where TYPECOM = 'ARM' and millesime = (select max(millesime) from raw.insee_cog_communes)
),

-- each IRIS counts in its commune (arrondissement for Paris, Lyon, Marseille) and in the parent of an arrondissement
iris_communes as (
    select i.*, i.code_commune as code_territoire from iris as i
    union all
    select i.*, a.code_parent as code_territoire from iris as i
    inner join arrondissements as a on a.code_arrondissement = i.code_commune
),

longues as (
    select code_territoire, millesime, code_iris, fichier, fichier_sha256, indicateur, valeur
    from iris_communes
    unpivot include nulls (
        valeur for indicateur in (
            foyers_allocataires, allocataires_rsa_socle, allocataires_prime_activite, allocataires_aah
        )
    )
),

-- an indicator the file does not publish at all (no value in any IRIS) gives no row
publies as (
    select millesime, indicateur from longues
    group by all
    having count(valeur) > 0
),

filosofi_iris as (
    select distinct code_iris, code_commune, millesime from staging.stg_filosofi_iris
),

filosofi_communes as (
    select f.code_iris, f.millesime, f.code_commune as code_territoire from filosofi_iris as f
    union all
    select f.code_iris, f.millesime, a.code_parent from filosofi_iris as f
    inner join arrondissements as a on a.code_arrondissement = f.code_commune
),

iris_manquants as (
    select f.code_territoire, f.millesime, count(*) as nb_iris_manquants
    from filosofi_communes as f
    where f.code_territoire in (select code_territoire from iris_communes as c where c.millesime = f.millesime)
        and not exists (
            select 1 from iris_communes as c where c.code_iris = f.code_iris and c.millesime = f.millesime
        )
    group by all
),

sommes as (
    select
        l.code_territoire,
        l.millesime,
        l.indicateur,
        sum(l.valeur) as valeur,
        count(*) as nb_iris,
        count(*) - count(l.valeur) as nb_iris_non_diffuses,
        any_value(l.fichier) as fichier,
        any_value(l.fichier_sha256) as fichier_sha256
    from longues as l
    inner join publies as p on p.millesime = l.millesime and p.indicateur = l.indicateur
    group by all
),

comptes as (
    select
        s.*,
        m.nb_iris_manquants,
        case
            when m.nb_iris_manquants > 0 then
                m.nb_iris_manquants || ' IRIS de la commune (liste Filosofi IRIS ' || s.millesime
                || ') absents du fichier CAF'
            when s.nb_iris_non_diffuses > 0 then
                s.nb_iris_non_diffuses || ' IRIS sur ' || s.nb_iris || ' sans effectif diffusé dans le fichier CAF'
        end as motif_absence
    from sommes as s
    left join iris_manquants as m on m.code_territoire = s.code_territoire and m.millesime = s.millesime
),

seuils as (
    select code, seuil_secret from intermediate.int_ref_indicateurs
),

effectifs as (
    select
        c.code_territoire,
        c.millesime as annee_reference,
        c.indicateur,
        case when c.motif_absence is null then c.valeur end as valeur,
        cast(null as double) as numerateur,
        cast(null as double) as denominateur,
        c.motif_absence,
        c.nb_iris,
        c.fichier,
        c.fichier_sha256
    from comptes as c
),

parts as (
    select
        n.code_territoire,
        n.annee_reference,
        case n.indicateur
            when 'allocataires_rsa_socle' then 'part_allocataires_rsa'
            else 'part_' || n.indicateur
        end as indicateur,
        100 * n.valeur / nullif(d.valeur, 0) as valeur,
        n.valeur as numerateur,
        d.valeur as denominateur,
        coalesce(n.motif_absence, d.motif_absence) as motif_absence,
        n.nb_iris,
        n.fichier,
        n.fichier_sha256
    from effectifs as n
    inner join effectifs as d
        on d.code_territoire = n.code_territoire and d.annee_reference = n.annee_reference
        and d.indicateur = 'foyers_allocataires'
    where n.indicateur <> 'foyers_allocataires'
),

toutes as (
    select * from effectifs
    union all
    select * from parts
),

-- a count under its threshold is secret; a share is secret when its numerator or denominator is
secrets as (
    select
        t.*,
        coalesce(
            case
                when t.numerateur is null then t.valeur < s.seuil_secret
                else t.numerateur < sn.seuil_secret or t.denominateur < sd.seuil_secret
            end,
            false
        ) as secret
    from toutes as t
    left join seuils as s on s.code = t.indicateur
    left join seuils as sn on sn.code = case t.indicateur
        when 'part_allocataires_rsa' then 'allocataires_rsa_socle'
        else replace(t.indicateur, 'part_', '')
    end
    left join seuils as sd on sd.code = 'foyers_allocataires'
),

communes as (
    select code_commune, lib_commune from staging.stg_communes
),

final as (
    select
        'commune' as type_territoire,
        code_territoire,
        n.lib_commune as lib_territoire,
        n.code_commune as code_commune_cog,
        annee_reference,
        indicateur,
        case when not secret then valeur end as valeur,
        case when not secret then numerateur end as numerateur,
        case when not secret then denominateur end as denominateur,
        secret,
        motif_absence,
        nb_iris,
        'CNAF, allocataires par IRIS' as source,
        fichier,
        fichier_sha256
    from secrets
    left join communes as n on n.code_commune = secrets.code_territoire
)

select * from final
