-- Grain: one row per (indicateur, source, millesime) of the 2015 geography's ANCT/ONPV indicators, for the
-- editions of staging.ref_annees_reference (2017-2022). Sources: staging.ref_familles_indicateurs (indicator ->
-- file and family), staging.ref_annees_reference (family and edition -> year of reference, evidence, certainty).
-- intermediate.int_secret_cellules fills annee_reference from here; marts.indicateurs_qpv reads
-- rupture_si_changement; marts.ref_indicateurs writes the per-edition text. A family of the mapping absent from
-- the seed of years fails the run (error()).
with familles as (
    select * from staging.ref_familles_indicateurs
),

annees as (
    select * from staging.ref_annees_reference
),

joint as (
    select
        f.indicateur,
        f.source,
        f.fichier,
        f.famille,
        f.note,
        a.millesime,
        a.annee_reference,
        a.donnees,
        a.certitude,
        a.rupture_si_changement,
        case
            when a.famille is null then
                error('familles_indicateurs : famille ' || f.fichier || ' ' || f.famille || ' (' || f.indicateur
                    || ') absente de sql/seeds/annees_reference.csv')
        end as erreur
    from familles as f
    left join annees as a on a.fichier = f.fichier and a.famille = f.famille
),

final as (
    select
        cast('qpv2015' as varchar) as geographie,
        indicateur,
        source,
        millesime,
        annee_reference,
        fichier,
        famille,
        donnees,
        certitude,
        rupture_si_changement,
        note
    from joint
    where erreur is null
)

select * from final
order by indicateur, source, millesime
