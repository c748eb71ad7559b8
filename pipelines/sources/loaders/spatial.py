"""Vector files (GeoJSON, zipped GeoJSON, GeoPackage, shapefile) into DuckDB spatial geometries.

Read with the spatial extension's `ST_Read` (GDAL), columns selected by name from the contract, geometry kept
as GEOMETRY. The producer switched the QPV 2024 perimeters from a plain GeoJSON to a ZIP holding one: the
first bytes are sniffed (`PK` = zip, read through GDAL's /vsizip/), whatever the extension says.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.contracts.model import GeometryBoxRule
from pipelines.contracts.registry import Source
from pipelines.contracts.sql import as_text, geometry_rules, ident
from pipelines.sources.loaders import SQL_TYPES, LoadReport, register
from pipelines.sources.loaders.zipcore import is_junk
from pipelines.sources.loaders.zipsafe import GIB, open_archive
from pipelines.sources.parsing import InputError, SourceFile, first_line

VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp")
# Largest declared decompressed size of a zipped vector file (the national QPV 2024 GeoJSON is about 100 MB).
MAX_EXPANDED_BYTES = 4 * GIB


def gdal_path(path: Path, label: str) -> str:
    """The path GDAL should open: the file itself, or the vector member of a zip (after the zip-safety checks
    shared with the other loaders and the live client: unsafe names, encryption, declared size)."""
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic[:2] != b"PK":
        return str(path)
    archive, infos = open_archive(path, label, MAX_EXPANDED_BYTES)
    archive.close()
    members = [
        i.filename for i in infos if not is_junk(i.filename) and i.filename.lower().endswith(VECTOR_SUFFIXES)
    ]
    if len(members) != 1:
        raise InputError(
            label, f"le zip doit contenir un seul fichier vectoriel, il contient : {members or 'aucun'}"
        )
    return f"/vsizip/{path}/{members[0]}"


@register("spatial")
def load_spatial(
    source: Source, files: list[SourceFile], con: duckdb.DuckDBPyConnection, table: str
) -> LoadReport:
    contract = source.load_contract()
    undeclared: dict[str, list[str]] = {}
    rows = 0
    for index, sf in enumerate(files):
        path = gdal_path(sf.path, sf.relative)
        try:
            described = con.execute("describe select * from ST_Read(?)", [path]).fetchall()
        except duckdb.Error as exc:
            # DuckDB's message repeats the query on further lines: the first line is the reason
            raise InputError(
                sf.relative,
                f"illisible comme fichier vectoriel (tronqué, endommagé ou pas de ce format) : {first_line(exc)}",
            ) from exc
        available = {name.lower(): name for name, *_ in described}
        missing = [c.name for c in contract.columns if c.required and c.name.lower() not in available]
        if missing:
            raise InputError(sf.relative, f"attribut(s) obligatoire(s) absent(s) : {missing}")
        known = {c.name.lower() for c in contract.columns} | {"ogc_fid"}
        extra = [name for low, name in available.items() if low not in known]
        if extra:
            undeclared[sf.relative] = extra
        select = []
        for col in contract.columns:
            if col.name.lower() not in available:
                select.append(f"cast(null as {SQL_TYPES[col.logical_type]}) as {col.name}")
            elif col.logical_type == "geometry":
                select.append(f'"{available[col.name.lower()]}" as {col.name}')
            else:
                value = f'"{available[col.name.lower()]}"'
                for marker in contract.null_values:  # producer's "no value" markers (contract data, quoted)
                    value = f"nullif(cast({value} as varchar), '{marker.replace(chr(39), chr(39) * 2)}')"
                select.append(f"cast({value} as {SQL_TYPES[col.logical_type]}) as {col.name}")
        # Identifiers come from the contract and the file's own attribute names; values are bound.
        query = (
            f"select cast(? as integer) as millesime, ? as _fichier, ? as _sha256, "  # noqa: S608
            f"row_number() over () as _ligne, {', '.join(select)} from ST_Read(?)"
        )
        verb = f"create or replace table {table} as " if index == 0 else f"insert into {table} "
        con.execute(verb + query, [sf.millesime, sf.relative, sf.sha256, path])
        rows = con.execute(f"select count(*) from {table}").fetchone()[0]  # noqa: S608
        check_coordinates(con, contract, table, sf.relative)
    return LoadReport(rows=rows, undeclared=undeclared)


def check_coordinates(con: duckdb.DuckDBPyConnection, contract, table: str, relative: str) -> None:
    """Refuse geometries outside the longitude/latitude ranges: projected coordinates (Lambert-93 metres, say)
    in a file labelled WGS84 would otherwise be published as shapes nowhere on Earth. Then the contract's blocking
    geometry rules (`geometryType`, `boundingBox` on a geometry: pipelines/contracts/sql.py, `geometry_rules`):
    a blank, empty or non-polygon geometry, or one outside France's boxes (latitude and longitude swapped, a
    shape moved to another continent), refuses the file, naming the first feature, its key and the rule."""
    geoms = [c.name for c in contract.columns if c.logical_type == "geometry"]
    key = contract.key[0] if contract.key else None
    for geom in geoms:
        # Identifiers come from the contract; values are bound.
        outside = (
            f"{geom} is not null and (ST_XMin({geom}) < -180 or ST_XMax({geom}) > 180 "
            f"or ST_YMin({geom}) < -90 or ST_YMax({geom}) > 90)"
        )
        found = con.execute(
            f"select count(*) over (), _ligne, {key or 'null'}, ST_XMin({geom}), ST_YMin({geom}), "  # noqa: S608
            f"ST_XMax({geom}) between -90 and 90 and ST_XMin({geom}) >= -90 "
            f"and ST_YMax({geom}) between -180 and 180 and ST_YMin({geom}) >= -180 "
            f"from {table} where _fichier = ? and {outside} order by _ligne limit 1",
            [relative],
        ).fetchall()
        if found:
            count, feature, code, x, y, swapped = found[0]
            where = f"entité {feature}" + (f" ({key} {code})" if key else "")
            hint = (
                "latitude et longitude inversées ?"
                if swapped
                else "coordonnées projetées (Lambert-93, EPSG:2154 ?) étiquetées WGS84"
            )
            raise InputError(
                relative,
                f"{where} : coordonnées ({x:.6g}, {y:.6g}) hors des plages de longitude/latitude dans la colonne "
                f"{geom} ; {count} entité(s) : {hint}",
            )
    for rule, sql in zip(
        [*contract.geometry_types, *contract.geometry_boxes], geometry_rules(contract), strict=True
    ):
        by = getattr(rule, "by", None)
        # The rule's condition and value are generated from the contract (identifiers quoted); values are bound.
        found = con.execute(
            f"select count(*) over (), _ligne, {ident(key) if key else 'null'}, {sql.value}, "  # noqa: S608
            f"{as_text(ident(by)) if by else 'null'} from {table} where _fichier = ? and {sql.violation} "
            "order by _ligne limit 1",
            [relative],
        ).fetchall()
        if found:
            raise InputError(relative, _geometry_refusal(rule, key, *found[0]))


def _geometry_refusal(rule, key: str | None, count: int, feature: int, code, value: str, by_value) -> str:
    """One French line: the first offending feature (line, key), the rule, what was found and what is expected."""
    named = [f"{key} {code}"] if key else []
    if isinstance(rule, GeometryBoxRule) and rule.by is not None:
        named.append(f"{rule.by} {by_value}")
    where = f"entité {feature}" + (f" ({', '.join(named)})" if named else "")
    if isinstance(rule, GeometryBoxRule):
        names = ", ".join(b.name for b in rule.boxes_for(by_value))
        return (
            f"{where} : règle boundingBox de la colonne {rule.geometry} : emprise {value} hors de la zone attendue "
            f"({names}) : latitude et longitude inversées, ou contour déplacé ? ; {count} entité(s) en infraction"
        )
    found = (
        "géométrie absente (nulle)" if value == "null" else f"géométrie {value.replace(' EMPTY', ' vide')}"
    )
    return (
        f"{where} : règle geometryType de la colonne {rule.column} : {found}, attendu un "
        f"{' ou '.join(rule.types)} non vide ; {count} entité(s) en infraction"
    )
