-- The run report's lines on marts.references_territoire (assets/factory.py model_report): per level and year of the
-- files, the territories read, the commune codes the COG in use no longer has (kept with their own code, compared
-- with no quartier), those matched to their parent commune (communes déléguées or associées) and the communes of
-- the CAF files left without a value (IRIS missing or withheld, the reason in motif_absence).
select
    type_territoire,
    annee_reference,
    source,
    count(distinct code_territoire) as territoires,
    count(distinct code_territoire) filter (
        where type_territoire = 'commune' and code_commune_cog is null
    ) as codes_hors_cog,
    count(distinct code_territoire) filter (
        where type_territoire = 'commune' and code_commune_cog <> code_territoire
    ) as codes_rattaches_commune_parente,
    count(distinct code_territoire) filter (where motif_absence is not null) as communes_sans_valeur
from marts.references_territoire
group by all
order by all
