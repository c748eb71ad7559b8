-- Grain: one row per commune or municipal arrondissement of the COG (latest edition). Sources: raw.insee_cog_communes,
-- raw.insee_communes_epci, raw.insee_departements. Names, département, région and EPCI of each commune.
with cog as (
    select * from raw.insee_cog_communes
    where millesime = (select max(millesime) from raw.insee_cog_communes)
        and TYPECOM in ('COM', 'ARM')
),

epci as (
    select * from raw.insee_communes_epci
),

departements as (
    select * from raw.insee_departements
),

final as (
    select
        cog.COM as code_commune,
        cog.LIBELLE as lib_commune,
        cog.TYPECOM = 'ARM' as est_arrondissement,
        cog.COMPARENT as code_commune_parente,
        coalesce(cog.DEP, parent.DEP) as code_departement,
        departements.nom_departement as lib_departement,
        coalesce(cog.REG, parent.REG) as code_region,
        departements.nom_region as lib_region,
        epci.epci_siren as code_epci,
        epci.epci_name as lib_epci,
        cog.millesime as millesime_cog
    from cog
    left join raw.insee_cog_communes as parent
        on parent.COM = cog.COMPARENT and parent.TYPECOM = 'COM' and parent.millesime = cog.millesime
    left join epci on epci.com_code = cog.COM
    left join departements on departements.code_departement = coalesce(cog.DEP, parent.DEP)
)

select * from final
