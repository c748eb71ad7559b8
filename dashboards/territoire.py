"""`--territoire`: a commune code, an EPCI SIREN or a list of QPV codes, resolved to QPV codes on the marts.

A QPV belongs to the commune and EPCI it counts in (its main commune, as in marts.indicateurs_territoire), in
either geography (2015 and 2024): the attachments come from marts.ecarts_qpv and marts.qpv_perimetres.
"""

from __future__ import annotations

import re

import duckdb

COMMUNE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
EPCI = re.compile(r"^\d{9}$")
QPV = re.compile(r"^Q[A-Z0-9]{7}$")


class TerritoireError(ValueError):
    """A --territoire value that is malformed or matches no QPV."""


_RATTACHEMENTS = """
    with rattachements as (
        select distinct code_qp, type_reference as niveau, code_reference as code
        from marts.ecarts_qpv
        where type_reference in ('commune', 'epci')
        union
        select code_qp, 'commune', code_commune from marts.qpv_perimetres where code_commune is not null
        union
        select code_qp, 'epci', code_epci from marts.qpv_perimetres where code_epci is not null
    )

    select distinct code_qp from rattachements where niveau = ? and code = ? order by code_qp
"""


def resolve(con: duckdb.DuckDBPyConnection, spec: str) -> list[str]:
    """QPV codes (sorted) of a commune (5 characters), an EPCI (SIREN, 9 digits) or a comma-separated list of QPV
    codes; raises TerritoireError when the value is malformed or matches nothing."""
    value = (spec or "").strip().upper()
    if not value:
        raise TerritoireError(
            "--territoire : valeur vide (attendu : code commune, SIREN d'EPCI ou codes QPV)"
        )
    if "," in value or QPV.match(value):
        codes = [c.strip() for c in value.split(",") if c.strip()]
        bad = [c for c in codes if not QPV.match(c)]
        if bad:
            raise TerritoireError(
                f"--territoire : code(s) QPV mal formé(s) : {', '.join(bad)} (attendu : QN05901M…)"
            )
        known = {
            row[0]
            for row in con.execute(
                "select distinct code_qp from marts.indicateurs_qpv where code_qp in (select unnest(?))",
                [codes],
            ).fetchall()
        }
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise TerritoireError(f"--territoire : QPV inconnu(s) dans l'entrepôt : {', '.join(unknown)}")
        return sorted(set(codes))
    if COMMUNE.match(value):
        niveau, nom = "commune", "commune"
    elif EPCI.match(value):
        niveau, nom = "epci", "EPCI"
    else:
        raise TerritoireError(
            f"--territoire {spec!r} : attendu un code commune (5 caractères), un SIREN d'EPCI (9 chiffres) "
            "ou une liste de codes QPV séparés par des virgules"
        )
    rows = con.execute(
        _RATTACHEMENTS,
        [niveau, value],
    ).fetchall()
    if not rows:
        raise TerritoireError(
            f"--territoire {spec!r} : aucun quartier prioritaire rattaché à ce territoire ({nom})"
        )
    return [row[0] for row in rows]
