-- Grain: one row per QPV cell (niveau 'qpv') and per territory aggregate (niveau 'commune' | 'epci' | 'departement'
-- | 'region' | 'france') of each series (geographie, millesime, indicateur) aggregated by sums ('somme', 'ratio').
-- Source: intermediate.int_secret_cellules (true values of the cells whose values are known, primary suppression).
-- Secondary suppression (secret statistique, DOMAIN.md §5): a suppressed QPV value must not be recoverable from the
-- published territory aggregates (all QPV of a commune, EPCI, département, région, France) minus the published QPV.
-- Territories nest: commune ⊂ EPCI, commune ⊂ département ⊂ région ⊂ France (each QPV counts in one commune).
--
-- Publication rule of the aggregates (bottom-up, applied to the final set S of suppressed cells):
--   a commune aggregate is published iff it passes the threshold and holds a number of suppressed cells ≠ 1;
--   the suppressed cells of unpublished communes are grouped by (EPCI, département): an EPCI is published iff it
--   passes the threshold and none of its groups holds exactly 1 suppressed cell; the suppressed cells left in
--   unpublished communes and EPCI are grouped by département (published iff threshold and ≠ 1), then by région,
--   then France. A ratio aggregate is published only if the aggregates of its numerator and denominator counts
--   (numerateur_code, denominateur_code) are published too.
-- Why it protects: every suppressed cell q rests in the group of the first published territory above it; that
--   group holds another suppressed cell q' contained in exactly the same published territories, so adding t to q and
--   subtracting t from q' changes no published number: q cannot be recovered by any combination of differences.
-- Choice of S and of the withheld aggregates (to publish as much as possible; the rule above stays safe for any S):
--   primary suppression; pass 1: a commune with exactly one suppressed cell and other known cells suppresses its
--   smallest other cell ("next smallest": counts by value, ratios by denominator, ties by code_qp); then a ratio
--   cell is suppressed when the cell of its numerator or denominator count is secret. Levels 2 to 5: a group left
--   with exactly one suppressed cell takes a donor, a suppressed cell of the same territory already paired lower
--   down, whose lower aggregates are withheld (motif 'complementaire') so that it joins the group; without a donor
--   the territory itself is withheld. No cell is suppressed after pass 1: the deeper levels only withhold aggregates.
-- Cells whose value the producer or the theme already withheld are not in any sum: nothing can recover them.
-- Differences between editions are handled after this model: intermediate.int_secret_editions withholds the aggregates
-- that an attack combining several editions would use (pipelines/domain/secret_editions.py); the same audit covers the
-- additive relations between different indicators (marts.ref_relations_additives, e.g. femmes + hommes = ensemble),
-- suppressing more QPV cells where a relation alone would reveal one.
with cellules as (
    select * from intermediate.int_secret_cellules
    where agregation in ('somme', 'ratio') and participe
),

-- Thresholds of the aggregates: sums over the known cells (grouping sets = every level at once).
agregats as (
    select
        serie,
        case
            when grouping(code_commune) = 0 then 'commune'
            when grouping(code_epci) = 0 then 'epci'
            when grouping(code_departement) = 0 then 'departement'
            when grouping(code_region) = 0 then 'region'
            else 'france'
        end as niveau,
        coalesce(code_commune, code_epci, code_departement, code_region, 'FR') as code_territoire,
        any_value(geographie) as geographie,
        any_value(millesime) as millesime,
        any_value(indicateur) as indicateur,
        any_value(agregation) as agregation,
        any_value(facteur) as facteur,
        any_value(seuil_secret) as seuil_secret,
        any_value(serie_numerateur) as serie_numerateur,
        any_value(serie_denominateur) as serie_denominateur,
        sum(valeur) as somme_valeur,
        sum(numerateur) as somme_numerateur,
        sum(denominateur) as somme_denominateur,
        count(*) as nb_qpv
    from cellules
    group by grouping sets (
        (serie, code_commune), (serie, code_epci), (serie, code_departement), (serie, code_region), (serie)
    )
    having (grouping(code_commune) = 0 and code_commune is not null)
        or (grouping(code_epci) = 0 and code_epci is not null)
        or (grouping(code_departement) = 0 and code_departement is not null)
        or (grouping(code_region) = 0 and code_region is not null)
        or (grouping(code_commune) + grouping(code_epci) + grouping(code_departement) + grouping(code_region) = 4)
),

seuils_agregats as (
    select
        *,
        coalesce(
            case when agregation = 'somme' then somme_valeur >= seuil_secret else somme_denominateur >= seuil_secret end,
            true
        ) as passe_seuil
    from agregats
),

-- Pass 1: communes with exactly one suppressed cell.
s0 as (
    select serie, code_qp, secret_seuil as supprime from cellules
),

etat0 as (
    select c.*, s0.supprime from cellules as c inner join s0 using (serie, code_qp)
),

ajout1 as (
    select serie, code_qp
    from (
        select
            *,
            count(*) filter (where supprime) over (partition by serie, code_commune) as n_supprimes
        from etat0
        where code_commune is not null
    )
    where n_supprimes = 1 and not supprime
    qualify row_number() over (partition by serie, code_commune order by taille, code_qp) = 1
),

etat1 as (
    select
        e.* exclude (supprime),
        e.supprime or a.code_qp is not null as supprime,
        a.code_qp is not null as ajout_1
    from etat0 as e
    left join ajout1 as a using (serie, code_qp)
),

-- A ratio cell is secret when the cell of its numerator or denominator count is secret (or withheld).
comptages_secrets as (
    select c.serie, c.code_qp
    from intermediate.int_secret_cellules as c
    left join etat1 as e using (serie, code_qp)
    where c.agregation = 'somme' and (c.secret_producteur or coalesce(e.supprime, false))
),

etat as (
    select
        e.*,
        e.supprime or (e.agregation = 'ratio' and (n.code_qp is not null or d.code_qp is not null)) as secret
    from etat1 as e
    left join comptages_secrets as n on n.serie = e.serie_numerateur and n.code_qp = e.code_qp
    left join comptages_secrets as d on d.serie = e.serie_denominateur and d.code_qp = e.code_qp
),

secrets as (
    select serie, code_qp, code_commune, code_epci, code_departement, code_region from etat where secret
),

-- Level 1: communes.
publie1 as (
    select
        a.serie,
        a.code_territoire,
        a.passe_seuil,
        a.passe_seuil and count(s.code_qp) <> 1 as publie_regle
    from seuils_agregats as a
    left join secrets as s on s.serie = a.serie and s.code_commune = a.code_territoire
    where a.niveau = 'commune'
    group by a.serie, a.code_territoire, a.passe_seuil
),

-- Level 2: suppressed cells of withheld communes, grouped by (EPCI, département). A group with one cell takes as donor
-- another published commune of the group holding suppressed cells (withheld: its cells join the group).
groupes2 as (
    select s.serie, s.code_epci, s.code_departement, count(*) as n
    from secrets as s
    left join publie1 as p on p.serie = s.serie and p.code_territoire = s.code_commune
    where not coalesce(p.publie_regle, false)
    group by all
),

retraits2 as (
    select s.serie, 'commune' as niveau, s.code_commune as code_territoire
    from secrets as s
    inner join publie1 as p on p.serie = s.serie and p.code_territoire = s.code_commune and p.publie_regle
    inner join groupes2 as g
        on g.serie = s.serie and g.code_epci = s.code_epci and g.code_departement = s.code_departement and g.n = 1
    qualify row_number() over (partition by s.serie, s.code_epci, s.code_departement order by s.code_commune) = 1
),

cellules2 as (
    select s.*
    from secrets as s
    left join publie1 as p on p.serie = s.serie and p.code_territoire = s.code_commune
    left join retraits2 as r on r.serie = s.serie and r.code_territoire = s.code_commune
    where not coalesce(p.publie_regle, false) or r.serie is not null
),

publie2 as (
    select
        a.serie,
        a.code_territoire,
        a.passe_seuil,
        a.passe_seuil and not coalesce(g.un_seul, false) as publie_regle
    from seuils_agregats as a
    left join (
        select serie, code_epci, bool_or(n = 1) as un_seul
        from (select serie, code_epci, code_departement, count(*) as n from cellules2 group by all)
        group by all
    ) as g on g.serie = a.serie and g.code_epci = a.code_territoire
    where a.niveau = 'epci'
),

-- Level 3: cells left in withheld communes and EPCI, by département. Donor: a suppressed cell of the département
-- resting lower (its EPCI, and its commune if published, are withheld).
cellules3 as (
    select c.*
    from cellules2 as c
    left join publie2 as p on p.serie = c.serie and p.code_territoire = c.code_epci
    where not coalesce(p.publie_regle, false)
),

donneurs3 as (
    select s.*, c2.code_qp is not null as repose_niveau2
    from secrets as s
    inner join (select serie, code_departement from cellules3 group by all having count(*) = 1) as g
        on g.serie = s.serie and g.code_departement = s.code_departement
    left join cellules3 as c3 on c3.serie = s.serie and c3.code_qp = s.code_qp
    left join cellules2 as c2 on c2.serie = s.serie and c2.code_qp = s.code_qp
    where c3.code_qp is null and s.code_epci is not null
    qualify row_number() over (
        partition by s.serie, s.code_departement order by c2.code_qp is not null desc, s.code_qp
    ) = 1
),

retraits3 as (
    select * from retraits2
    union all
    select serie, 'commune', code_commune from donneurs3 where not repose_niveau2
    union all
    select serie, 'epci', code_epci from donneurs3
),

cellules3b as (
    select s.*
    from secrets as s
    left join publie1 as p1 on p1.serie = s.serie and p1.code_territoire = s.code_commune
    left join publie2 as p2 on p2.serie = s.serie and p2.code_territoire = s.code_epci
    left join (select distinct * from retraits3 where niveau = 'commune') as r1
        on r1.serie = s.serie and r1.code_territoire = s.code_commune
    left join (select distinct * from retraits3 where niveau = 'epci') as r2
        on r2.serie = s.serie and r2.code_territoire = s.code_epci
    where (not coalesce(p1.publie_regle, false) or r1.serie is not null)
        and (not coalesce(p2.publie_regle, false) or r2.serie is not null)
),

publie3 as (
    select
        a.serie,
        a.code_territoire,
        a.passe_seuil,
        a.passe_seuil and count(c.code_qp) <> 1 as publie_regle
    from seuils_agregats as a
    left join cellules3b as c on c.serie = a.serie and c.code_departement = a.code_territoire
    where a.niveau = 'departement'
    group by a.serie, a.code_territoire, a.passe_seuil
),

-- Level 4: cells left in withheld communes, EPCI and départements, by région; donor from another département.
cellules4 as (
    select c.*
    from cellules3b as c
    left join publie3 as p on p.serie = c.serie and p.code_territoire = c.code_departement
    where not coalesce(p.publie_regle, false)
),

donneurs4 as (
    select s.*, c3.code_qp is not null as repose_niveau3, c2.code_qp is not null as repose_niveau2
    from secrets as s
    inner join (select serie, code_region from cellules4 group by all having count(*) = 1) as g
        on g.serie = s.serie and g.code_region = s.code_region
    left join cellules4 as c4 on c4.serie = s.serie and c4.code_qp = s.code_qp
    left join cellules3b as c3 on c3.serie = s.serie and c3.code_qp = s.code_qp
    left join cellules2 as c2 on c2.serie = s.serie and c2.code_qp = s.code_qp
    where c4.code_qp is null and s.code_departement is not null
    qualify row_number() over (
        partition by s.serie, s.code_region
        order by c3.code_qp is not null desc, c2.code_qp is not null desc, s.code_qp
    ) = 1
),

retraits4 as (
    select * from retraits3
    union all
    select serie, 'commune', code_commune from donneurs4 where not repose_niveau2 and not repose_niveau3
    union all
    select serie, 'epci', code_epci from donneurs4 where not repose_niveau3
    union all
    select serie, 'departement', code_departement from donneurs4
),

publies_avant5 as (
    select 'commune' as niveau, serie, code_territoire, publie_regle from publie1
    union all
    select 'epci', serie, code_territoire, publie_regle from publie2
    union all
    select 'departement', serie, code_territoire, publie_regle from publie3
),

etat_avant5 as (
    select p.niveau, p.serie, p.code_territoire, p.publie_regle and r.serie is null as publie
    from publies_avant5 as p
    left join (select distinct * from retraits4) as r
        on r.serie = p.serie and r.niveau = p.niveau and r.code_territoire = p.code_territoire
),

cellules4b as (
    select s.*
    from secrets as s
    left join etat_avant5 as p1
        on p1.serie = s.serie and p1.niveau = 'commune' and p1.code_territoire = s.code_commune
    left join etat_avant5 as p2 on p2.serie = s.serie and p2.niveau = 'epci' and p2.code_territoire = s.code_epci
    left join etat_avant5 as p3
        on p3.serie = s.serie and p3.niveau = 'departement' and p3.code_territoire = s.code_departement
    where not coalesce(p1.publie, false) and not coalesce(p2.publie, false) and not coalesce(p3.publie, false)
),

publie4 as (
    select
        a.serie,
        a.code_territoire,
        a.passe_seuil,
        a.passe_seuil and count(c.code_qp) <> 1 as publie_regle
    from seuils_agregats as a
    left join cellules4b as c on c.serie = a.serie and c.code_region = a.code_territoire
    where a.niveau = 'region'
    group by a.serie, a.code_territoire, a.passe_seuil
),

-- Level 5: cells left nowhere published below France; donor from another région.
cellules5 as (
    select c.*
    from cellules4b as c
    left join publie4 as p on p.serie = c.serie and p.code_territoire = c.code_region
    where not coalesce(p.publie_regle, false)
),

donneurs5 as (
    select
        s.*,
        c4.code_qp is not null as repose_niveau4,
        c3.code_qp is not null as repose_niveau3,
        c2.code_qp is not null as repose_niveau2
    from secrets as s
    inner join (select serie from cellules5 group by all having count(*) = 1) as g on g.serie = s.serie
    left join cellules5 as c5 on c5.serie = s.serie and c5.code_qp = s.code_qp
    left join cellules4b as c4 on c4.serie = s.serie and c4.code_qp = s.code_qp
    left join cellules3b as c3 on c3.serie = s.serie and c3.code_qp = s.code_qp
    left join cellules2 as c2 on c2.serie = s.serie and c2.code_qp = s.code_qp
    where c5.code_qp is null and s.code_region is not null
    qualify row_number() over (
        partition by s.serie
        order by c4.code_qp is not null desc, c3.code_qp is not null desc, c2.code_qp is not null desc, s.code_qp
    ) = 1
),

retraits5 as (
    select * from retraits4
    union all
    select serie, 'commune', code_commune from donneurs5
    where not repose_niveau2 and not repose_niveau3 and not repose_niveau4
    union all
    select serie, 'epci', code_epci from donneurs5 where not repose_niveau3 and not repose_niveau4
    union all
    select serie, 'departement', code_departement from donneurs5 where not repose_niveau4
    union all
    select serie, 'region', code_region from donneurs5
),

publies_avant_france as (
    select niveau, serie, code_territoire, publie_regle from publies_avant5
    union all
    select 'region', serie, code_territoire, publie_regle from publie4
),

etat_avant_france as (
    select p.niveau, p.serie, p.code_territoire, p.publie_regle and r.serie is null as publie
    from publies_avant_france as p
    left join (select distinct * from retraits5) as r
        on r.serie = p.serie and r.niveau = p.niveau and r.code_territoire = p.code_territoire
),

cellules5b as (
    select s.*
    from secrets as s
    left join etat_avant_france as p1
        on p1.serie = s.serie and p1.niveau = 'commune' and p1.code_territoire = s.code_commune
    left join etat_avant_france as p2
        on p2.serie = s.serie and p2.niveau = 'epci' and p2.code_territoire = s.code_epci
    left join etat_avant_france as p3
        on p3.serie = s.serie and p3.niveau = 'departement' and p3.code_territoire = s.code_departement
    left join etat_avant_france as p4
        on p4.serie = s.serie and p4.niveau = 'region' and p4.code_territoire = s.code_region
    where not coalesce(p1.publie, false) and not coalesce(p2.publie, false) and not coalesce(p3.publie, false)
        and not coalesce(p4.publie, false)
),

publie5 as (
    select
        a.serie,
        a.code_territoire,
        a.passe_seuil,
        a.passe_seuil and coalesce(n.n, 0) <> 1 as publie_regle
    from seuils_agregats as a
    left join (select serie, count(*) as n from cellules5b group by serie) as n on n.serie = a.serie
    where a.niveau = 'france'
),

-- Publication before the ratio links; a ratio aggregate needs its numerator and denominator aggregates published.
publication_brute as (
    select
        a.niveau,
        a.serie,
        a.code_territoire,
        a.passe_seuil,
        coalesce(e.publie, f.publie_regle) as publie_brut
    from seuils_agregats as a
    left join etat_avant_france as e
        on e.niveau = a.niveau and e.serie = a.serie and e.code_territoire = a.code_territoire
    left join publie5 as f on a.niveau = 'france' and f.serie = a.serie
),

publication as (
    select
        p.*,
        p.publie_brut and coalesce(num.publie_brut, true) and coalesce(den.publie_brut, true) as publie
    from publication_brute as p
    inner join seuils_agregats as a
        on a.niveau = p.niveau and a.serie = p.serie and a.code_territoire = p.code_territoire
    left join publication_brute as num
        on num.niveau = p.niveau and num.serie = a.serie_numerateur and num.code_territoire = p.code_territoire
    left join publication_brute as den
        on den.niveau = p.niveau and den.serie = a.serie_denominateur and den.code_territoire = p.code_territoire
),

territoires as (
    select
        a.niveau,
        a.code_territoire,
        a.serie,
        a.geographie,
        a.millesime,
        a.indicateur,
        cast(null as varchar) as code_qp,
        case
            when a.agregation = 'somme' then a.somme_valeur
            else a.facteur * a.somme_numerateur / nullif(a.somme_denominateur, 0)  -- 0 / 0: no value, never NaN
        end as valeur,
        case when a.agregation = 'somme' then a.somme_valeur else a.somme_numerateur end as numerateur,
        case when a.agregation = 'ratio' then a.somme_denominateur end as denominateur,
        a.nb_qpv,
        not p.publie as secret,
        case
            when p.publie then null
            when not p.passe_seuil then 'seuil'
            when not p.publie_brut then 'complementaire'
            else 'lien'
        end as motif_secret
    from seuils_agregats as a
    inner join publication as p on p.niveau = a.niveau and p.serie = a.serie and p.code_territoire = a.code_territoire
),

qpv as (
    select
        'qpv' as niveau,
        code_qp as code_territoire,
        serie,
        geographie,
        millesime,
        indicateur,
        code_qp,
        valeur,
        numerateur,
        denominateur,
        1 as nb_qpv,
        secret,
        case
            when not secret then null
            when secret_seuil then 'seuil'
            when ajout_1 then 'complementaire'
            else 'lien'
        end as motif_secret
    from etat
),

final as (
    select * from qpv
    union all
    select * from territoires
)

select * from final
