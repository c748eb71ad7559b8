-- Grain: one row per (geographie, code_qp). Source: intermediate.int_territoires_qpv.
-- The territories of each quartier of both geographies: its main commune (the commune holding most of it when it
-- spans several; all its communes in codes_communes), that commune's EPCI, département and région in the COG in
-- use. The attachment the comparisons of marts.ecarts_qpv and the aggregates of marts.indicateurs_territoire use.
with territoires as (
    select * from intermediate.int_territoires_qpv
),

final as (
    select
        geographie,
        code_qp,
        lib_qp,
        code_commune,
        lib_commune,
        nb_communes,
        codes_communes,
        rattachement,
        code_epci,
        lib_epci,
        code_departement,
        lib_departement,
        code_region,
        lib_region
    from territoires
)

select * from final
order by geographie, code_qp
