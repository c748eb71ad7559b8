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
on the suppression's result and, while a quantity is recovered, withholds the lowest published aggregate whose
equation contains it (the commune before the EPCI, the smallest sum first). Withholding removes equations: it never
makes another cell recoverable, so the per-edition guarantee still holds and the loop ends.

The attack reads two temporary views, defined from the marts (what is published: `views_from_marts`, used by the
tests) or from the suppression's intermediate tables minus the aggregates withheld so far (`views_from_suppression`):
  attaque_cellules(code_qp, geographie, millesime, indicateur, agregation, numerateur_code, denominateur_code,
                   code_commune, code_epci, code_departement, code_region, valeur, numerateur, denominateur,
                   publie_secret, publie_valeur, publie_numerateur, publie_denominateur)
  attaque_publies(niveau, territoire, geographie, millesime, indicateur)
"""

from __future__ import annotations

from collections import defaultdict
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
        code_qp, geographie, millesime, indicateur, code_commune, code_epci, code_departement, code_region,
        publie_secret, p.position,
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
    from attaque_cellules
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
-- every suppressed cell with its quantities still unknown (an empty list: all of them are published elsewhere)
cellules_secretes as (
    select code_qp || '|' || geographie || '|' || millesime || '|' || indicateur as cellule,
        coalesce(list(inconnue) filter (where inconnue not in (select inconnue from connues)), []) as noms
    from nommees
    where publie_secret
    group by code_qp, geographie, millesime, indicateur
)
select 'equation' as genre, null as cellule, noms, agregats from equations
union all
select 'cellule' as genre, cellule, noms, null from cellules_secretes
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
)

# What the suppression would publish, minus the aggregates withheld so far (temp table attaque_retenus).
SUPPRESSION_VIEWS = (
    """
    create or replace temp table attaque_retenus (niveau varchar, code_territoire varchar, serie varchar)
    """,
    """
    create or replace temp view attaque_cellules as
    select c.code_qp, c.geographie, c.millesime, c.indicateur, c.agregation, c.numerateur_code, c.denominateur_code,
        c.code_commune, c.code_epci, c.code_departement, c.code_region, c.valeur, c.numerateur, c.denominateur,
        s.secret as publie_secret,
        case when not s.secret then c.valeur end as publie_valeur,
        case when not s.secret then c.numerateur end as publie_numerateur,
        case when not s.secret then c.denominateur end as publie_denominateur
    from intermediate.int_secret_cellules as c
    inner join intermediate.int_secret_complementaire as s
        on s.niveau = 'qpv' and s.serie = c.serie and s.code_qp = c.code_qp
    where c.participe and c.agregation in ('somme', 'ratio')
    """,
    """
    create or replace temp view attaque_publies as
    select s.niveau, s.code_territoire as territoire, s.geographie, s.millesime, s.indicateur
    from intermediate.int_secret_complementaire as s
    anti join attaque_retenus as r
        on r.niveau = s.niveau and r.code_territoire = s.code_territoire and r.serie = s.serie
    where s.niveau <> 'qpv' and not s.secret
    """,
)


def views_from_marts(con: duckdb.DuckDBPyConnection) -> None:
    for statement in MARTS_VIEWS:
        con.execute(statement)


def views_from_suppression(con: duckdb.DuckDBPyConnection) -> None:
    for statement in SUPPRESSION_VIEWS:
        con.execute(statement)


@dataclass(frozen=True)
class Equation:
    noms: frozenset[str]
    agregats: tuple[tuple[str, str, str], ...]  # (niveau, code_territoire, serie) publishing this sum

    @property
    def rang(self) -> int:
        return min(LEVELS.index(niveau) for niveau, _, _ in self.agregats)


@dataclass(frozen=True)
class Attack:
    equations: list[Equation]
    recovered: set[str]  # unknowns determined by the equations
    leaks: list[str]  # one line per recovered unknown and per suppressed cell revealed


def recoverable(equations: list[frozenset[str]]) -> set[str]:
    """Unknowns determined by the equations (each: the sum of its unknowns is known): those whose unit vector lies in
    the row space, i.e. the pivots whose reduced row holds nothing else (reduced row echelon form, exact)."""
    pivots: dict[
        str, dict[str, Fraction]
    ] = {}  # pivot column -> its row (pivot entry 1, no other pivot column)
    for equation in equations:
        row: dict[str, Fraction] = dict.fromkeys(equation, Fraction(1))
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


def components(equations: list[frozenset[str]]) -> list[list[frozenset[str]]]:
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
    groups: dict[str, list[frozenset[str]]] = defaultdict(list)
    for equation in equations:
        groups[find(next(iter(equation)))].append(equation)
    return list(groups.values())


def differencing_attack(con: duckdb.DuckDBPyConnection, across_editions: bool = False) -> Attack:
    """Run the attack on the views attaque_cellules / attaque_publies (see the module doc).
    `across_editions`: all editions at once, a quantity unchanged between editions being one unknown (known when it
    is published in any edition), so that a cell suppressed in one edition and published in another helps."""
    found = con.execute(ATTACK_SQL, [across_editions]).fetchall()
    equations = [
        Equation(frozenset(noms), tuple(sorted((a["niveau"], a["territoire"], a["serie"]) for a in agregats)))
        for genre, _, noms, agregats in found
        if genre == "equation"
    ]
    recovered: set[str] = set()
    for component in components([e.noms for e in equations]):
        recovered |= recoverable(component)
    leaks = [f"{u} recoverable from the published territory sums" for u in sorted(recovered)]
    # a suppressed cell whose every quantity is published elsewhere or recovered (a ratio rebuilt from its
    # numerator and denominator, a count published unchanged in another edition)
    leaks += [
        f"{cellule} revealed: its quantities are published elsewhere or recovered ({', '.join(noms) or 'all published'})"
        for genre, cellule, noms, _ in sorted(found, key=lambda r: (r[0], r[1] or ""))
        if genre == "cellule" and all(n in recovered for n in noms)
    ]
    return Attack(equations, recovered, leaks)


def withhold_across_editions(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, int]]:
    """The territory aggregates to withhold so that the attack across editions recovers nothing, each as
    (niveau, code_territoire, serie, round). Reads the suppression's intermediate tables; leaves the temp table
    attaque_retenus holding the result."""
    views_from_suppression(con)
    withheld: list[tuple[str, str, str, int]] = []
    for round_ in range(1, MAX_ROUNDS + 1):
        attack = differencing_attack(con, across_editions=True)
        if not attack.recovered:
            return withheld
        chosen: set[tuple[str, str, str]] = set()
        for unknown in sorted(attack.recovered):
            candidates = [e for e in attack.equations if unknown in e.noms]
            # the lowest territory, then the sum of the fewest unknowns (the most telling), then a stable order
            best = min(candidates, key=lambda e: (e.rang, len(e.noms), e.agregats))
            chosen.update(best.agregats)
        rows = sorted(chosen)
        con.executemany("insert into attaque_retenus values (?, ?, ?)", [list(r) for r in rows])
        withheld += [(*r, round_) for r in rows]
    raise RuntimeError(
        f"secret entre éditions : des effectifs restent recalculables après {MAX_ROUNDS} tours de masquage"
    )
