-- Grain: one row per SIRENE tranche d'effectifs salariés code. Source: this file (reference data, DOMAIN.md §2
-- "SIRENE details", the INSEE band limits). Jobs are not published by SIRENE, only the band: each establishment
-- counts for effectif_bas (lower limit) to effectif_haut (upper limit) jobs, and effectif_central = the middle of
-- the band, (bas + haut) / 2 — the documented central value. NN (no employee, or unknown) and 00 (no employee at
-- 31/12) count 0; the open band 53 (10,000 and more) is bounded at 10,000.
with tranches (tranche_effectifs, libelle, effectif_bas, effectif_haut) as (
    values
    ('NN', 'Pas de salarié ou effectif inconnu', 0, 0),
    ('00', '0 salarié au 31/12 (mais ayant employé au cours de l''année)', 0, 0),
    ('01', '1 ou 2 salariés', 1, 2),
    ('02', '3 à 5 salariés', 3, 5),
    ('03', '6 à 9 salariés', 6, 9),
    ('11', '10 à 19 salariés', 10, 19),
    ('12', '20 à 49 salariés', 20, 49),
    ('21', '50 à 99 salariés', 50, 99),
    ('22', '100 à 199 salariés', 100, 199),
    ('31', '200 à 249 salariés', 200, 249),
    ('32', '250 à 499 salariés', 250, 499),
    ('41', '500 à 999 salariés', 500, 999),
    ('42', '1 000 à 1 999 salariés', 1000, 1999),
    ('51', '2 000 à 4 999 salariés', 2000, 4999),
    ('52', '5 000 à 9 999 salariés', 5000, 9999),
    ('53', '10 000 salariés et plus (borné à 10 000)', 10000, 10000)
),

final as (
    select
        tranche_effectifs,
        libelle,
        cast(effectif_bas as double) as effectif_bas,
        cast(effectif_haut as double) as effectif_haut,
        (effectif_bas + effectif_haut) / 2.0 as effectif_central
    from tranches
)

select * from final
