-- Grain: one row per (code_qp, geographie, millesime). Source: marts.indicateurs_qpv (secret values already null).
-- Convenience wide view of chômage et emploi (thème chomage, et population_15_64_estimee du thème base): one column per indicator code of marts.ref_indicateurs (null when secret or
-- absent from the edition, never 0); estimates carry their bounds (<code>_borne_basse, <code>_borne_haute).
-- nb_secrets = number of the view's indicators withheld for the row; rupture = one of them breaks its series.
with indicateurs as (
    select * from marts.indicateurs_qpv
    where indicateur in (
        'indicateur_chomage_abc',
        'demandeurs_emploi_abc',
        'demandeurs_emploi_a',
        'demandeurs_emploi_abcde',
        'demandeurs_emploi_abc_femmes',
        'demandeurs_emploi_abc_hommes',
        'demandeurs_emploi_abc_moins_26_ans',
        'demandeurs_emploi_abc_moins_25_ans',
        'demandeurs_emploi_abc_26_49_ans',
        'demandeurs_emploi_abc_25_49_ans',
        'demandeurs_emploi_abc_50_ans_plus',
        'demandeurs_emploi_abc_longue_duree',
        'demandeurs_emploi_abc_rsa',
        'part_demandeurs_longue_duree',
        'part_jeunes_demandeurs',
        'taux_emploi_15_64',
        'taux_emploi_15_64_femmes',
        'taux_emploi_15_64_etrangers',
        'population_15_64_estimee'
    )
),

final as (
    select
        code_qp,
        any_value(lib_qp) as lib_qp,
        geographie,
        millesime,
        max(valeur) filter (where indicateur = 'indicateur_chomage_abc') as indicateur_chomage_abc,
        max(borne_basse) filter (where indicateur = 'indicateur_chomage_abc') as indicateur_chomage_abc_borne_basse,
        max(borne_haute) filter (where indicateur = 'indicateur_chomage_abc') as indicateur_chomage_abc_borne_haute,
        max(valeur) filter (where indicateur = 'demandeurs_emploi_abc') as demandeurs_emploi_abc,
        max(valeur) filter (where indicateur = 'demandeurs_emploi_a') as demandeurs_emploi_a,
        max(valeur) filter (where indicateur = 'demandeurs_emploi_abcde') as demandeurs_emploi_abcde,
        max(valeur) filter (where indicateur = 'demandeurs_emploi_abc_femmes') as demandeurs_emploi_abc_femmes,
        max(valeur) filter (where indicateur = 'demandeurs_emploi_abc_hommes') as demandeurs_emploi_abc_hommes,
        max(valeur) filter (where indicateur = 'demandeurs_emploi_abc_moins_26_ans') as demandeurs_emploi_abc_moins_26_ans,
        max(valeur) filter (where indicateur = 'demandeurs_emploi_abc_moins_25_ans') as demandeurs_emploi_abc_moins_25_ans,
        max(valeur) filter (where indicateur = 'demandeurs_emploi_abc_26_49_ans') as demandeurs_emploi_abc_26_49_ans,
        max(valeur) filter (where indicateur = 'demandeurs_emploi_abc_25_49_ans') as demandeurs_emploi_abc_25_49_ans,
        max(valeur) filter (where indicateur = 'demandeurs_emploi_abc_50_ans_plus') as demandeurs_emploi_abc_50_ans_plus,
        max(valeur) filter (where indicateur = 'demandeurs_emploi_abc_longue_duree') as demandeurs_emploi_abc_longue_duree,
        max(valeur) filter (where indicateur = 'demandeurs_emploi_abc_rsa') as demandeurs_emploi_abc_rsa,
        max(valeur) filter (where indicateur = 'part_demandeurs_longue_duree') as part_demandeurs_longue_duree,
        max(valeur) filter (where indicateur = 'part_jeunes_demandeurs') as part_jeunes_demandeurs,
        max(valeur) filter (where indicateur = 'taux_emploi_15_64') as taux_emploi_15_64,
        max(valeur) filter (where indicateur = 'taux_emploi_15_64_femmes') as taux_emploi_15_64_femmes,
        max(valeur) filter (where indicateur = 'taux_emploi_15_64_etrangers') as taux_emploi_15_64_etrangers,
        max(valeur) filter (where indicateur = 'population_15_64_estimee') as population_15_64_estimee,
        max(borne_basse) filter (where indicateur = 'population_15_64_estimee') as population_15_64_estimee_borne_basse,
        max(borne_haute) filter (where indicateur = 'population_15_64_estimee') as population_15_64_estimee_borne_haute,
        count(*) filter (where secret) as nb_secrets,
        bool_or(rupture) as rupture
    from indicateurs
    group by code_qp, geographie, millesime
)

select * from final
order by geographie, millesime, code_qp
