-- Grain: one row per ANCT/ONPV file (REVN, DEMO, IPRO: 2015 geography), variable family and edition (millesime).
-- Sources: staging.ref_annees_reference (the seed sql/seeds/annees_reference.csv), staging.ref_familles_indicateurs
-- (the indicators of each family). The seed's facts with the list of the observatory's indicators that carry each
-- family's year (null for a family no indicator uses yet: rp_structure, asp). Published as marts.annees_reference.
with annees as (
    select * from staging.ref_annees_reference
),

indicateurs as (
    select fichier, famille, string_agg(distinct indicateur, ', ' order by indicateur) as indicateurs
    from staging.ref_familles_indicateurs
    group by fichier, famille
),

final as (
    select
        a.fichier,
        a.famille,
        a.millesime,
        a.annee_reference,
        a.donnees,
        a.certitude,
        a.rupture_si_changement,
        a.preuve,
        i.indicateurs
    from annees as a
    left join indicateurs as i on i.fichier = a.fichier and i.famille = a.famille
)

select * from final
