-- Grain: one row per (relation, indicateur). Sources: staging.ref_relations_additives (the seed
-- sql/seeds/relations_additives.csv), marts.ref_indicateurs (the dictionary). The additive relations between published
-- counts (total = Σ composantes), each cell checked against the dictionary: the run fails (error()) on a code the
-- dictionary does not hold or one that is not a count (agregation 'somme'). Read by the audit of
-- pipelines/domain/secret_editions.py (intermediate.int_secret_editions) and by marts.ref_relations_additives.
with relations as (
    select * from staging.ref_relations_additives
),

dictionnaire as (
    select code, libelle, agregation from marts.ref_indicateurs
),

controles as (
    select
        r.*,
        d.libelle as libelle_indicateur,
        case
            when d.code is null then
                error('relations_additives : ' || r.relation || ' cite ' || r.indicateur || ', absent du dictionnaire')
            when d.agregation <> 'somme' then
                error('relations_additives : ' || r.relation || ' cite ' || r.indicateur || ', qui n''est pas un effectif')
        end as erreur
    from relations as r
    left join dictionnaire as d on d.code = r.indicateur
),

final as (
    select relation, libelle, role, indicateur, libelle_indicateur, priorite_masquage
    from controles
    where erreur is null
)

select * from final
order by relation, role desc, indicateur
