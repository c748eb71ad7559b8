-- Grain: one row per (relation, indicateur). Source: intermediate.int_relations_additives (the seed
-- sql/seeds/relations_additives.csv checked against the dictionary). The additive relations between published counts
-- (role 'total' = Σ role 'composante', in each QPV and edition): the secret statistique protects them (a suppressed
-- cell is never « total − Σ parties visibles », DOMAIN.md §5; audit in intermediate.int_secret_editions), and analysts
-- may use them to check the files. priorite_masquage: the order in which the audit suppresses one more cell.
with relations as (
    select * from intermediate.int_relations_additives
),

final as (
    select relation, libelle, role, indicateur, libelle_indicateur, priorite_masquage
    from relations
    order by relation, role desc, indicateur
)

select * from final
