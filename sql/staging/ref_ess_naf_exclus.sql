-- Grain: one row per NAF code or prefix excluded from the ESS perimeter by legal category. Source: the seed
-- sql/seeds/ess_naf_exclus.csv (reference data, DOMAIN.md §3 [à vérifier against INSEE's Flores ESS note]): public
-- administration (division 84) and the employers', professional, trade-union, religious and political organisations.
-- A NAF code is excluded when it starts with prefixe_naf (codes as `NN.NNL`). The SIRENE ESS flag ('O') keeps a unit
-- in the perimeter anyway. The run fails (error()) on a duplicate or blank prefix, or a blank label.
with seed as (
    select * from {{ seed('ess_naf_exclus') }}
),

controles as (
    select
        *,
        case
            when nullif(trim(prefixe_naf), '') is null or nullif(trim(libelle), '') is null then
                error('ess_naf_exclus : colonne vide pour ' || coalesce(prefixe_naf, 'NULL'))
            when count(*) over (partition by prefixe_naf) > 1 then
                error('ess_naf_exclus : préfixe en double ' || prefixe_naf)
        end as erreur
    from seed
),

final as (
    select prefixe_naf, libelle
    from controles
    where erreur is null
)

select * from final
order by prefixe_naf
