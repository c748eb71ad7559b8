"""Secret statistique across editions: the differencing attack on the territory sums, and the audit that withholds
territory aggregates until the attack recovers nothing (DOMAIN.md §5).

The secondary suppression of `intermediate.int_secret_complementaire` is chosen edition by edition: it proves that no
suppressed QPV value can be recovered from the territory sums of one edition. An attacker who reads several editions
can also guess that a small count did not change between two of them; with the right guesses (the strongest attacker
knows which suppressed values are equal), the sums of several editions become one linear system in which a suppressed
value may be determined (demo: the commune total of 2022 minus the commune total of 2023 reveals the 2022 value of one
QPV when its two neighbours did not change).

The attack (`differencing_attack`) writes every published territory aggregate as a linear equation over the QPV
values it sums, minus the published QPV values; a quantity (a count, or a ratio's numerator or denominator, named by
the count indicator it is when the dictionary says so) is one unknown wherever it appears, and — across editions —
one unknown in every edition where its true value is the same. A suppressed quantity is recovered when its unit
vector lies in the row space of the equations (exact Gaussian elimination over the rationals).

The audit (`withhold_across_editions`, the asset `intermediate.int_secret_editions`) runs the attack across editions
on the suppression's result and, while a quantity is recovered, withholds the aggregates of the equation nearest it
(one holding it, else one sharing an unknown with those…), the sum of the fewest unknowns first, then the lowest
territory (the commune before the EPCI). Withholding removes equations: it never
makes another cell recoverable, so the per-edition guarantee still holds and the loop ends.

Additive relations between indicators (`intermediate.int_relations_additives`, the seed
sql/seeds/relations_additives.csv: job seekers = women + men = the age bands = the seniority bands…) are more
equations: in every QPV and edition where all the cells of a relation are in the sums, total − Σ composantes = 0, the
published cells moved to the known side (coefficient +1 for the total, −1 for each composante). Declared relations
are used wherever their cells exist, exact or not in the files: one that holds only nearly still lets an attacker
estimate a suppressed cell closely. When only such an equation recovers a quantity, withholding aggregates cannot
help: the audit suppresses one more cell of the relation in that QPV (lowest priorite_masquage, then the smallest
value), with every ratio cell that publishes the same count; suppressing a cell only adds an unknown, so it never
makes another cell recoverable, and the loop goes on until nothing is recovered.

The attack reads three temporary views, defined from the marts (what is published: `views_from_marts`, used by the
tests) or from the suppression's intermediate tables minus the aggregates withheld so far (`views_from_suppression`):
  attaque_cellules(code_qp, geographie, millesime, indicateur, agregation, numerateur_code, denominateur_code,
                   code_commune, code_epci, code_departement, code_region, valeur, numerateur, denominateur,
                   publie_secret, publie_valeur, publie_numerateur, publie_denominateur)
  attaque_publies(niveau, territoire, geographie, millesime, indicateur)
  attaque_relations(relation, role, indicateur, priorite_masquage)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

import duckdb

LEVELS = ("commune", "epci", "departement", "region", "france")
MAX_ROUNDS = 200

# Every summed quantity of a participating QPV cell: a count (position 0), or a ratio's numerator (0) and denominator
# (1), named by the count indicator they are when the dictionary says so (numerateur_code, denominateur_code), so that
# the same number is one unknown in every series it enters. A quantity is unknown to the attacker when its cell is
# secret and it is published in no other cell.
ATTACK_SQL = """
with quantites as (
    select
        code_qp, geographie, millesime, indicateur, agregation, code_commune, code_epci, code_departement,
        code_region, publie_secret, p.position,
        case
            when agregation = 'somme' then indicateur
            when p.position = 0 then coalesce(numerateur_code, indicateur || '#num')
            else coalesce(denominateur_code, indicateur || '#den')
        end as quantite,
        case
            when agregation = 'somme' then publie_valeur
            when p.position = 0 then publie_numerateur
            else publie_denominateur
        end as publiee,
        case when agregation = 'somme' then valeur when p.position = 0 then numerateur else denominateur end as vraie
    from attaque_cellules_figees
    inner join (select unnest([0, 1]) as position) as p on p.position = 0 or agregation = 'ratio'
),
nommees as (
    -- across editions ($1 true): a quantity whose true value is the same in several editions is one unknown (the
    -- attacker guesses that it did not change), published if it is published in any of them
    select *,
        case
            when $1 and vraie is not null
                then code_qp || '|' || geographie || '|' || quantite || '=' || cast(vraie as varchar)
            else code_qp || '|' || geographie || '|' || millesime || '|' || quantite
        end as inconnue
    from quantites
),
connues as (
    select distinct inconnue from nommees where not publie_secret and publiee is not null
),
secretes as (
    select * from nommees
    where (publie_secret or publiee is null) and inconnue not in (select inconnue from connues)
),
membres as (
    select t.niveau, t.territoire, s.geographie, s.millesime, s.indicateur, s.position, s.inconnue
    from secretes as s,
    unnest([
        {'niveau': 'commune', 'territoire': s.code_commune},
        {'niveau': 'epci', 'territoire': s.code_epci},
        {'niveau': 'departement', 'territoire': s.code_departement},
        {'niveau': 'region', 'territoire': s.code_region},
        {'niveau': 'france', 'territoire': 'FR'}
    ]) as u(t)
    where t.territoire is not null
),
par_agregat as (
    select p.niveau, p.territoire, p.geographie, p.millesime, p.indicateur, list_sort(list(m.inconnue)) as noms
    from attaque_publies as p
    inner join membres as m using (niveau, territoire, geographie, millesime, indicateur)
    group by p.niveau, p.territoire, p.geographie, p.millesime, p.indicateur, m.position
),
-- one equation per distinct set of unknowns, with the aggregates that publish it (a ratio's numerator is the sum of
-- its numerator count: the same equation)
equations as (
    select noms,
        list(distinct {'niveau': niveau, 'territoire': territoire, 'serie': geographie || '|' || millesime || '|'
            || indicateur}) as agregats
    from par_agregat
    group by noms
),
-- additive relations: in a QPV and edition where every cell of the relation is in the sums, total - Σ composantes = 0
-- (the published cells on the known side)
cellules_relations as (
    select n.code_qp, n.geographie, n.millesime, r.relation, n.inconnue,
        case when r.role = 'total' then 1 else -1 end as coef,
        n.inconnue in (select inconnue from connues) as connue
    from nommees as n
    inner join attaque_relations as r on r.indicateur = n.quantite
    where n.agregation = 'somme'
),
tailles_relations as (
    select relation, count(*) as taille from attaque_relations group by relation
),
groupes_relations as (
    select c.code_qp || '|' || c.geographie || '|' || c.millesime || '|' || c.relation as relation,
        coalesce(list(c.inconnue order by c.inconnue) filter (where not c.connue), []) as noms,
        coalesce(list(c.coef order by c.inconnue) filter (where not c.connue), []) as coefs
    from cellules_relations as c
    inner join tailles_relations as t on t.relation = c.relation
    group by c.code_qp, c.geographie, c.millesime, c.relation, t.taille
    having count(*) = t.taille
),
equations_relations as (
    select noms, coefs, list(relation order by relation) as relations
    from groupes_relations
    where len(noms) > 0
    group by noms, coefs
),
-- every suppressed cell with its quantities still unknown (an empty list: all of them are published elsewhere)
cellules_secretes as (
    select code_qp || '|' || geographie || '|' || millesime || '|' || indicateur as cellule,
        coalesce(list(inconnue) filter (where inconnue not in (select inconnue from connues)), []) as noms
    from nommees
    where publie_secret
    group by code_qp, geographie, millesime, indicateur
)
select 'equation' as genre, null as cellule, noms, null as coefs, agregats, null as relations from equations
union all
select 'relation' as genre, null as cellule, noms, coefs, null as agregats, relations from equations_relations
union all
select 'cellule' as genre, cellule, noms, null, null, null from cellules_secretes
"""

# What is published: the marts.
MARTS_VIEWS = (
    """
    create or replace temp view attaque_cellules as
    select c.code_qp, c.geographie, c.millesime, c.indicateur, c.agregation, c.numerateur_code, c.denominateur_code,
        c.code_commune, c.code_epci, c.code_departement, c.code_region, c.valeur, c.numerateur, c.denominateur,
        q.secret as publie_secret, q.valeur as publie_valeur, q.numerateur as publie_numerateur,
        q.denominateur as publie_denominateur
    from intermediate.int_secret_cellules as c
    inner join marts.indicateurs_qpv as q using (code_qp, geographie, millesime, indicateur)
    where c.participe and c.agregation in ('somme', 'ratio')
    """,
    """
    create or replace temp view attaque_publies as
    select type_territoire as niveau, code_territoire as territoire, geographie, millesime, indicateur
    from marts.indicateurs_territoire
    where not secret
    """,
    """
    create or replace temp view attaque_relations as
    select relation, role, indicateur, priorite_masquage from marts.ref_relations_additives
    """,
)

# What the suppression would publish, minus the aggregates withheld so far (temp table attaque_retenus) and with the
# counts suppressed so far for the additive relations (temp table attaque_supprimes: a count of a QPV and edition, and
# every cell that publishes it: the count itself, the ratios whose numerator or denominator it is).
SUPPRESSION_VIEWS = (
    """
    create or replace temp table attaque_retenus (niveau varchar, code_territoire varchar, serie varchar)
    """,
    """
    create or replace temp table attaque_supprimes (
        code_qp varchar, geographie varchar, millesime integer, quantite varchar
    )
    """,
    """
    create or replace temp view attaque_cellules_base as
    select c.code_qp, c.geographie, c.millesime, c.indicateur, c.agregation, c.numerateur_code, c.denominateur_code,
        c.code_commune, c.code_epci, c.code_departement, c.code_region, c.valeur, c.numerateur, c.denominateur,
        c.serie, s.secret as secret_suppression,
        s.secret or n1.code_qp is not null or n2.code_qp is not null or n3.code_qp is not null as publie_secret
    from intermediate.int_secret_cellules as c
    inner join intermediate.int_secret_complementaire as s
        on s.niveau = 'qpv' and s.serie = c.serie and s.code_qp = c.code_qp
    left join (select distinct * from attaque_supprimes) as n1
        on n1.code_qp = c.code_qp and n1.geographie = c.geographie and n1.millesime = c.millesime
        and n1.quantite = c.indicateur
    left join (select distinct * from attaque_supprimes) as n2
        on n2.code_qp = c.code_qp and n2.geographie = c.geographie and n2.millesime = c.millesime
        and n2.quantite = c.numerateur_code
    left join (select distinct * from attaque_supprimes) as n3
        on n3.code_qp = c.code_qp and n3.geographie = c.geographie and n3.millesime = c.millesime
        and n3.quantite = c.denominateur_code
    where c.participe and c.agregation in ('somme', 'ratio')
    """,
    """
    create or replace temp view attaque_cellules as
    select * exclude (serie, secret_suppression),
        case when not publie_secret then valeur end as publie_valeur,
        case when not publie_secret then numerateur end as publie_numerateur,
        case when not publie_secret then denominateur end as publie_denominateur
    from attaque_cellules_base
    """,
    """
    create or replace temp view attaque_publies as
    select s.niveau, s.code_territoire as territoire, s.geographie, s.millesime, s.indicateur
    from intermediate.int_secret_complementaire as s
    anti join attaque_retenus as r
        on r.niveau = s.niveau and r.code_territoire = s.code_territoire and r.serie = s.serie
    where s.niveau <> 'qpv' and not s.secret
    """,
    """
    create or replace temp view attaque_relations as
    select relation, role, indicateur, priorite_masquage from intermediate.int_relations_additives
    """,
)

# The cell to suppress in each relation group (temp table attaque_groupes: code_qp|geographie|millesime|relation) where
# only the relation recovers a quantity: a published count of the group, lowest priorite_masquage, then the smallest
# value, then the code.
CELL_TO_SUPPRESS_SQL = """
select g.relation, c.code_qp, c.geographie, c.millesime, c.indicateur
from attaque_groupes as g
inner join attaque_relations as r on r.relation = split_part(g.relation, '|', 4)
inner join attaque_cellules as c
    on c.code_qp = split_part(g.relation, '|', 1) and c.geographie = split_part(g.relation, '|', 2)
    and c.millesime = cast(split_part(g.relation, '|', 3) as integer) and c.indicateur = r.indicateur
where c.agregation = 'somme' and not c.publie_secret and c.publie_valeur is not null
qualify row_number() over (partition by g.relation order by r.priorite_masquage, c.valeur, c.indicateur) = 1
"""

# The chosen counts (temp table attaque_choisis) with the same count of the same QPV in every other edition where it
# has the same value: the attacker across editions takes an unchanged count as known, so suppressing it in one
# edition only would add no unknown.
SAME_VALUE_SQL = """
select distinct o.code_qp, o.geographie, o.millesime, o.indicateur
from attaque_choisis as c
inner join attaque_cellules as v
    on v.code_qp = c.code_qp and v.geographie = c.geographie and v.millesime = c.millesime
    and v.indicateur = c.indicateur
inner join attaque_cellules as o
    on o.code_qp = c.code_qp and o.geographie = c.geographie and o.indicateur = c.indicateur and o.valeur = v.valeur
"""

# The QPV cells that the suppressions of the audit made secret (counts and the ratios that publish them).
SUPPRESSED_CELLS_SQL = """
select 'qpv' as niveau, code_qp, serie from attaque_cellules_base
where publie_secret and not secret_suppression
order by serie, code_qp
"""


def views_from_marts(con: duckdb.DuckDBPyConnection) -> None:
    for statement in MARTS_VIEWS:
        con.execute(statement)


def views_from_suppression(con: duckdb.DuckDBPyConnection) -> None:
    for statement in SUPPRESSION_VIEWS:
        con.execute(statement)


@dataclass(frozen=True)
class Equation:
    coefficients: tuple[tuple[str, int], ...]  # (unknown, coefficient): Σ coefficient × unknown is known
    agregats: tuple[tuple[str, str, str], ...] = ()  # (niveau, code_territoire, serie) publishing this sum
    relations: tuple[str, ...] = ()  # code_qp|geographie|millesime|relation: the additive relations giving it

    @property
    def noms(self) -> frozenset[str]:
        return frozenset(name for name, _ in self.coefficients)

    @property
    def rang(self) -> int:
        """-1 for a relation inside a QPV, else the lowest territory level publishing it."""
        if not self.agregats:
            return -1
        return min(LEVELS.index(niveau) for niveau, _, _ in self.agregats)


@dataclass(frozen=True)
class Attack:
    equations: list[Equation]
    recovered: set[str]  # unknowns determined by the equations
    leaks: list[str]  # one line per recovered unknown and per suppressed cell revealed


def recoverable(equations: Iterable[Mapping[str, int] | frozenset[str]]) -> set[str]:
    """Unknowns determined by the equations (each: a linear combination of its unknowns is known; a set means the
    plain sum): those whose unit vector lies in the row space, i.e. the pivots whose reduced row holds nothing else
    (reduced row echelon form, exact)."""
    pivots: dict[
        str, dict[str, Fraction]
    ] = {}  # pivot column -> its row (pivot entry 1, no other pivot column)
    for equation in equations:
        row: dict[str, Fraction] = (
            {k: Fraction(v) for k, v in equation.items() if v}
            if isinstance(equation, Mapping)
            else dict.fromkeys(equation, Fraction(1))
        )
        for column in [c for c in row if c in pivots]:
            factor = row.get(column)
            if not factor:
                continue
            for key, value in pivots[column].items():
                updated = row.get(key, Fraction(0)) - factor * value
                if updated:
                    row[key] = updated
                else:
                    row.pop(key, None)
        if not row:
            continue  # a combination of the previous equations
        column = min(row)
        scale = row[column]
        row = {k: v / scale for k, v in row.items()}
        for other in pivots.values():
            factor = other.get(column)
            if factor:
                for key, value in row.items():
                    updated = other.get(key, Fraction(0)) - factor * value
                    if updated:
                        other[key] = updated
                    else:
                        other.pop(key, None)
        pivots[column] = row
    return {column for column, row in pivots.items() if len(row) == 1}


def components(equations: list) -> list[list]:
    """The equations split into groups sharing no unknown (solved separately: smaller matrices)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for equation in equations:
        first, *others = equation
        for other in others:
            parent[find(other)] = find(first)
    groups: dict[str, list] = defaultdict(list)
    for equation in equations:
        groups[find(next(iter(equation)))].append(equation)
    return list(groups.values())


def differencing_attack(con: duckdb.DuckDBPyConnection, across_editions: bool = False) -> Attack:
    """Run the attack on the views attaque_cellules / attaque_publies (see the module doc).
    `across_editions`: all editions at once, a quantity unchanged between editions being one unknown (known when it
    is published in any edition), so that a cell suppressed in one edition and published in another helps."""
    # the cells read once into a temp table: planned through the views, the attack can take minutes instead of seconds
    con.execute("create or replace temp table attaque_cellules_figees as select * from attaque_cellules")
    found = con.execute(ATTACK_SQL, [across_editions]).fetchall()
    equations = [
        Equation(
            tuple(zip(noms, coefs or [1] * len(noms), strict=True)),
            tuple(sorted((a["niveau"], a["territoire"], a["serie"]) for a in agregats or [])),
            tuple(relations or ()),
        )
        for genre, _, noms, coefs, agregats, relations in found
        if genre in ("equation", "relation")
    ]
    recovered: set[str] = set()
    for component in components([dict(e.coefficients) for e in equations]):
        recovered |= recoverable(component)
    leaks = [f"{u} recoverable from the published territory sums" for u in sorted(recovered)]
    # a suppressed cell whose every quantity is published elsewhere or recovered (a ratio rebuilt from its
    # numerator and denominator, a count published unchanged in another edition)
    leaks += [
        f"{cellule} revealed: its quantities are published elsewhere or recovered ({', '.join(noms) or 'all published'})"
        for genre, cellule, noms, *_ in sorted(found, key=lambda r: (r[0], r[1] or ""))
        if genre == "cellule" and all(n in recovered for n in noms)
    ]
    return Attack(equations, recovered, leaks)


def withhold_across_editions(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, int]]:
    """The territory aggregates to withhold and the QPV cells to suppress so that the attack across editions (with the
    additive relations) recovers nothing, each as (niveau, code_territoire, serie, round): niveau 'qpv' and
    code_territoire = the code_qp for a cell. Reads the suppression's intermediate tables; leaves the temp tables
    attaque_retenus and attaque_supprimes holding the result."""
    views_from_suppression(con)
    withheld: list[tuple[str, str, str, int]] = []
    for round_ in range(1, MAX_ROUNDS + 1):
        attack = differencing_attack(con, across_editions=True)
        if not attack.recovered:
            return withheld + [(*row, 0) for row in con.execute(SUPPRESSED_CELLS_SQL).fetchall()]
        # the cell each relation group of the equations would give up (none: all its cells are suppressed already)
        keys = sorted({r for e in attack.equations for r in e.relations})
        con.execute("create or replace temp table attaque_groupes (relation varchar)")
        if keys:
            con.executemany("insert into attaque_groupes values (?)", [[k] for k in keys])
        available = {row[0]: row[1:] for row in con.execute(CELL_TO_SUPPRESS_SQL).fetchall()}
        by_unknown: dict[str, list[Equation]] = defaultdict(list)
        for equation in attack.equations:
            for name, _ in equation.coefficients:
                by_unknown[name].append(equation)
        chosen: set[tuple[str, str, str]] = set()
        groups: set[str] = set()

        for unknown in sorted(attack.recovered):
            # the equations nearest the unknown first (those holding it, then those sharing an unknown with them…),
            # at each distance the equation of the fewest unknowns (the most telling), a relation inside a QPV before
            # a territory, then a stable order: the first one that can be broken (withheld, or given one more unknown)
            seen_unknowns, seen, frontier = {unknown}, set(), [unknown]
            while frontier:
                ring = {e for x in frontier for e in by_unknown[x]} - seen
                seen |= ring
                ordered = sorted(ring, key=lambda e: (len(e.coefficients), e.rang, e.agregats, e.relations))
                if any(_break(e, available, chosen, groups) for e in ordered):
                    break
                frontier = [n for e in ordered for n, _ in e.coefficients if n not in seen_unknowns]
                seen_unknowns.update(frontier)
        if not chosen and not groups:
            raise RuntimeError(
                f"secret : plus rien à masquer au tour {round_}, des effectifs restent recalculables"
            )
        rows = sorted(chosen)
        if rows:
            con.executemany("insert into attaque_retenus values (?, ?, ?)", [list(r) for r in rows])
        withheld += [(*r, round_) for r in rows]
        cells = sorted({available[g] for g in groups})
        if cells:
            con.execute(
                "create or replace temp table attaque_choisis "
                "(code_qp varchar, geographie varchar, millesime integer, indicateur varchar)"
            )
            con.executemany("insert into attaque_choisis values (?, ?, ?, ?)", [list(c) for c in cells])
            con.execute(f"insert into attaque_supprimes {SAME_VALUE_SQL}")
    raise RuntimeError(
        f"secret entre éditions : des effectifs restent recalculables après {MAX_ROUNDS} tours de masquage"
    )


def _break(equation: Equation, available: Mapping[str, tuple], chosen: set, groups: set) -> bool:
    """Break an equation: withhold the aggregates that publish it (added to `chosen`), or, for a relation inside a
    QPV, suppress one more cell in every relation group giving it (added to `groups`, so that each gains an unknown);
    False when one of those groups has no published cell left (`available`: the cell each group would give up)."""
    if equation.agregats:
        chosen.update(equation.agregats)
        return True
    if all(r in available for r in equation.relations):
        groups.update(equation.relations)
        return True
    return False
