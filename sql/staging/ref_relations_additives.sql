-- Grain: one row per (relation, indicateur). Source: the seed sql/seeds/relations_additives.csv, the additive relations
-- between published counts kept as data beside the dictionary (DOMAIN.md §5: « total − Σ parties visibles » must never
-- reveal a suppressed cell): in every QPV and edition where all its cells are published or suppressed by the project,
-- the total equals the sum of its composantes (job seekers by sex, age band, seniority band, level of education; CAF
-- claimants by family type, children by age band; eligible households = claimants + non-claimants of the non-recours
-- estimates). Declared wherever the files make it exact or nearly so: a relation that holds only approximately still
-- lets an attacker estimate a suppressed cell closely, so it is protected the same way. priorite_masquage orders the
-- cells the audit suppresses when one more is needed (lowest first, then the smallest value): the project's own
-- estimates before the producers' counts. Read by the audit of pipelines/domain/secret_editions.py
-- (intermediate.int_secret_editions) and published as marts.ref_relations_additives.
-- The run fails (error()) on a blank, a role other than total / composante, a duplicate cell, or a relation without
-- exactly one total and at least one composante.
with seed as (
    select * from {{ seed('relations_additives') }}
),

controles as (
    select
        *,
        case
            when nullif(trim(relation), '') is null or nullif(trim(indicateur), '') is null
                or nullif(trim(libelle), '') is null or priorite_masquage is null then
                error('relations_additives : colonne vide pour ' || coalesce(relation, 'NULL'))
            when role not in ('total', 'composante') then
                error('relations_additives : rôle inconnu ' || coalesce(role, 'NULL') || ' pour ' || relation)
            when count(*) over (partition by relation, indicateur) > 1 then
                error('relations_additives : indicateur en double ' || relation || ' ' || indicateur)
            when count(*) filter (where role = 'total') over (partition by relation) <> 1
                or count(*) filter (where role = 'composante') over (partition by relation) < 1 then
                error('relations_additives : ' || relation || ' doit avoir un total et au moins une composante')
        end as erreur
    from seed
),

final as (
    select relation, role, indicateur, priorite_masquage, libelle
    from controles
    where erreur is null
)

select * from final
order by relation, role desc, indicateur
