-- Grain: one row per NAF rév. 2 division (2 digits). Source: this file (reference data: INSEE, NAF rév. 2, the 21
-- sections A to U and their divisions), used for the breakdown of establishments by activity section.
with sections (section_naf, libelle_section, division_debut, division_fin) as (
    values
    ('A', 'Agriculture, sylviculture et pêche', 1, 3),
    ('B', 'Industries extractives', 5, 9),
    ('C', 'Industrie manufacturière', 10, 33),
    ('D', 'Production et distribution d''électricité, de gaz, de vapeur et d''air conditionné', 35, 35),
    ('E', 'Production et distribution d''eau ; assainissement, gestion des déchets et dépollution', 36, 39),
    ('F', 'Construction', 41, 43),
    ('G', 'Commerce ; réparation d''automobiles et de motocycles', 45, 47),
    ('H', 'Transports et entreposage', 49, 53),
    ('I', 'Hébergement et restauration', 55, 56),
    ('J', 'Information et communication', 58, 63),
    ('K', 'Activités financières et d''assurance', 64, 66),
    ('L', 'Activités immobilières', 68, 68),
    ('M', 'Activités spécialisées, scientifiques et techniques', 69, 75),
    ('N', 'Activités de services administratifs et de soutien', 77, 82),
    ('O', 'Administration publique', 84, 84),
    ('P', 'Enseignement', 85, 85),
    ('Q', 'Santé humaine et action sociale', 86, 88),
    ('R', 'Arts, spectacles et activités récréatives', 90, 93),
    ('S', 'Autres activités de services', 94, 96),
    ('T', 'Activités des ménages en tant qu''employeurs ; activités indifférenciées des ménages', 97, 98),
    ('U', 'Activités extra-territoriales', 99, 99)
),

final as (
    select
        lpad(cast(division as varchar), 2, '0') as division_naf,
        section_naf,
        libelle_section
    from sections, generate_series(division_debut, division_fin) as t(division)
)

select * from final
order by division_naf
