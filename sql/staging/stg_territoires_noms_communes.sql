-- Grain: one row per name of the COG (latest edition) of type COM, ARM, COMD or COMA. Source: raw.insee_cog_communes.
-- Lookup used to attach the QPV of the 2015 geography (whose files name their communes, without an INSEE code) to a
-- commune: every name points to the commune (COM) that holds it today. A municipal arrondissement (ARM), a delegated
-- (COMD) or associated (COMA) commune points to its parent commune, so that an old name of a merged commune (commune
-- nouvelle) or "Marseille 15e Arrondissement" resolves to the commune of the current COG. `nom_cle` is the name in
-- lower case, without accents, every run of non-alphanumeric characters replaced by one space.
with cog as (
    select * from raw.insee_cog_communes
    where millesime = (select max(millesime) from raw.insee_cog_communes)
        and TYPECOM in ('COM', 'ARM', 'COMD', 'COMA')
),

communes as (
    select COM, DEP from cog where TYPECOM = 'COM'
),

final as (
    select
        cog.LIBELLE as nom,
        trim(regexp_replace(lower(strip_accents(cog.LIBELLE)), '[^a-z0-9]+', ' ', 'g')) as nom_cle,
        cog.TYPECOM as type_commune,
        cog.COM as code_nom,
        case when cog.TYPECOM = 'COM' then cog.COM else cog.COMPARENT end as code_commune,
        coalesce(cog.DEP, parent.DEP) as code_departement,
        -- Preference when one name matches several rows of a département: the commune itself first.
        case cog.TYPECOM when 'COM' then 1 when 'ARM' then 2 when 'COMD' then 3 else 4 end as priorite
    from cog
    left join communes as parent on parent.COM = cog.COMPARENT
)

select * from final
