-- Grain: one row per (code_qp, geographie, millesime) of the SIRENE stock. Source: marts.indicateurs_qpv (secret
-- values already null, primary and secondary suppression applied).
-- Convenience wide view of the ESS indicators: one column per indicator code of marts.ref_indicateurs (null when
-- secret or absent, never 0); jobs and the ESS share carry their low/high bounds from the size bands.
-- nb_secrets = number of the view's indicators withheld for the row; rupture = one of them breaks its series.
with indicateurs as (
    select * from marts.indicateurs_qpv
    where indicateur in (
        'etablissements_actifs',
        'etablissements_ess',
        'emplois_ess',
        'emplois_salaries_prives',
        'part_emplois_ess',
        'emplois_ess_pour_1000_habitants'
    )
),

final as (
    select
        code_qp,
        any_value(lib_qp) as lib_qp,
        geographie,
        millesime,
        any_value(annee_reference) as annee_reference,
        max(valeur) filter (where indicateur = 'etablissements_actifs') as etablissements_actifs,
        max(valeur) filter (where indicateur = 'etablissements_ess') as etablissements_ess,
        max(valeur) filter (where indicateur = 'emplois_ess') as emplois_ess,
        max(borne_basse) filter (where indicateur = 'emplois_ess') as emplois_ess_borne_basse,
        max(borne_haute) filter (where indicateur = 'emplois_ess') as emplois_ess_borne_haute,
        max(valeur) filter (where indicateur = 'emplois_salaries_prives') as emplois_salaries_prives,
        max(valeur) filter (where indicateur = 'part_emplois_ess') as part_emplois_ess,
        max(borne_basse) filter (where indicateur = 'part_emplois_ess') as part_emplois_ess_borne_basse,
        max(borne_haute) filter (where indicateur = 'part_emplois_ess') as part_emplois_ess_borne_haute,
        max(valeur) filter (where indicateur = 'emplois_ess_pour_1000_habitants')
            as emplois_ess_pour_1000_habitants,
        count(*) filter (where secret) as nb_secrets,
        bool_or(rupture) as rupture,
        any_value(source) as source,
        any_value(fichier_sha256) as fichier_sha256
    from indicateurs
    group by code_qp, geographie, millesime
)

select * from final
order by geographie, millesime, code_qp
