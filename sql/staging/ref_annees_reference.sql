-- Grain: one row per ANCT/ONPV file (REVN, DEMO, IPRO: 2015 geography), variable family and edition (millesime).
-- Source: the seed sql/seeds/annees_reference.csv (facts kept as data, one line of evidence each). The year of
-- reference of the data behind a published edition: the file name carries the publication label only (SOURCES.md).
-- certitude: etablie (checked against a producer's published figures), probable (consistent with them, not checked
-- value by value) or hypothese (assumed, said so in preuve). rupture_si_changement: true for census families (RP),
-- whose change of census base breaks a series (rule in marts.ref_indicateurs.regle_rupture); false for yearly
-- sources (Filosofi, CAF, CNAM, DEFM, ASP), where a one-year step is the normal series.
-- The run fails (error()) on a duplicate key, an unknown file or certitude, a blank evidence, or a family whose
-- rupture_si_changement is not the same in every edition.
with seed as (
    select * from {{ seed('annees_reference') }}
),

controles as (
    select
        *,
        case
            when fichier not in ('REVN', 'DEMO', 'IPRO') then
                error('annees_reference : fichier inconnu ' || coalesce(fichier, 'NULL'))
            when certitude is null or certitude not in ('etablie', 'probable', 'hypothese') then
                error('annees_reference : certitude inconnue pour ' || fichier || ' ' || famille || ' ' || millesime)
            when nullif(trim(preuve), '') is null or nullif(trim(donnees), '') is null then
                error('annees_reference : preuve ou données vides pour ' || fichier || ' ' || famille || ' ' || millesime)
            when millesime is null or annee_reference is null or annee_reference > millesime then
                error('annees_reference : année invalide pour ' || fichier || ' ' || famille || ' ' || coalesce(millesime, 0))
            when count(*) over (partition by fichier, famille, millesime) > 1 then
                error('annees_reference : ligne en double ' || fichier || ' ' || famille || ' ' || millesime)
            when count(distinct rupture_si_changement) over (partition by fichier, famille) > 1 then
                error('annees_reference : rupture_si_changement varie dans la famille ' || fichier || ' ' || famille)
        end as erreur
    from seed
),

final as (
    select
        fichier,
        famille,
        millesime,
        annee_reference,
        donnees,
        certitude,
        coalesce(rupture_si_changement, false) as rupture_si_changement,
        preuve
    from controles
    where erreur is null
)

select * from final
order by fichier, famille, millesime
