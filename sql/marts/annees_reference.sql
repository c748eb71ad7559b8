-- Grain: one row per ANCT/ONPV file (REVN, DEMO, IPRO: 2015 geography), variable family and edition (millesime).
-- Source: intermediate.int_annees_reference (the seed sql/seeds/annees_reference.csv and the indicators of each
-- family), published as it is (its columns are the mart's). The year of reference of the data behind each published
-- edition, with its certainty (etablie, probable, hypothese) and one line of evidence: what "millésime 2021" means
-- for each indicator. marts.indicateurs_qpv takes annee_reference and the census-base breaks
-- (rupture_si_changement) from the same seed.
with final as (
    select * from intermediate.int_annees_reference
)

select * from final
order by fichier, famille, millesime
