-- Grain: one row per commune or municipal arrondissement of the COG (latest edition). Sources: raw.insee_cog_communes,
-- raw.insee_communes_epci, raw.insee_departements. Names, département, région and EPCI of each commune.
with cog as (
    select * from raw.insee_cog_communes
    where millesime = (select max(millesime) from raw.insee_cog_communes)
        and TYPECOM in ('COM', 'ARM')
),

-- Latest edition of the composition; INSEE marks communes without an EPCI (islands) with 000000000 / ZZZZZZZZZ.
epci as (
    select
        com_code,
        case when epci_siren in ('000000000', 'ZZZZZZZZZ') then null else epci_siren end as epci_siren,
        case when epci_siren in ('000000000', 'ZZZZZZZZZ') then null else epci_name end as epci_name
    from raw.insee_communes_epci
    where millesime = (select max(millesime) from raw.insee_communes_epci)
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
        -- the composition file lists communes only: an arrondissement takes its parent commune's EPCI
        coalesce(epci.epci_siren, epci_parent.epci_siren) as code_epci,
        coalesce(epci.epci_name, epci_parent.epci_name) as lib_epci,
        cog.millesime as millesime_cog
    from cog
    left join raw.insee_cog_communes as parent
        on parent.COM = cog.COMPARENT and parent.TYPECOM = 'COM' and parent.millesime = cog.millesime
    left join epci on epci.com_code = cog.COM
    left join epci as epci_parent on epci_parent.com_code = cog.COMPARENT
    left join departements on departements.code_departement = coalesce(cog.DEP, parent.DEP)
)

select * from final
