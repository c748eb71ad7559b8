"""Data contracts: YAML files in `data_contracts/`, read into typed objects.

A contract is the single source of truth about a dataset: its columns (names, aliases across editions, types,
units, ranges, patterns, what a blank means) and its dataset-level rules (key, row counts, cross-column
comparisons). The parser (`pipelines.sources.parsing`) uses it to type the raw files, and `pipelines.checks.validation`
builds the Great Expectations suite from it. The shape follows the Open Data Contract Standard v3
(`apiVersion`, `kind`, `schema[].properties[]`, `logicalTypeOptions`, `quality`), with a few project fields
(`aliases`, `unit`, `blank`) that ODCS leaves to custom properties.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from pipelines.paths import CONTRACTS_DIR

LogicalType = Literal["string", "number", "integer", "geometry"]
_LOGICAL_TYPES = ("string", "number", "integer", "geometry")
_BLANK_MEANINGS = ("secret", "absent", "interdit")
_ON_FAIL = ("stop", "quarantine")


class ContractError(ValueError):
    """A contract file is malformed (a bug in the project, not in the data)."""


@dataclass(frozen=True)
class Column:
    name: str
    logical_type: LogicalType
    description: str
    aliases: tuple[str, ...] = ()
    unit: str | None = None
    required: bool = False  # the column must be present in every edition
    nullable: bool = True  # a blank cell is allowed
    blank: str = "secret"  # what a blank cell means: secret statistique, absent (not produced), interdit
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    allowed_values: tuple[Any, ...] | None = None
    # NaN, inf and -inf in a number cell: refused by the reader unless the contract declares them
    # (`logicalTypeOptions: {nonFinite: true}`); none of the producers' files has them.
    non_finite: bool = False
    # "error" stops the run (blocking check); "warn" reports the violation without blocking, for known
    # producer defects that the staging layer repairs (documented in the column's description).
    severity: Literal["error", "warn"] = "error"
    # What a row violating this column's constraints does: "stop" (the contract check fails, the run stops)
    # or "quarantine" (the row is moved to quarantine.<dataset> before the raw table is published).
    on_fail: Literal["stop", "quarantine"] = "stop"
    # The editions the producer publishes this column in (`editions: 2017-2019`, `2021-`, `[2017, 2019-2020]`):
    # () = every edition. Outside them the column is expected absent (NULL, no note); `required` applies only
    # inside them. The dictionary and the data docs show them.
    editions: tuple[tuple[int | None, int | None], ...] = ()

    def in_edition(self, millesime: int | None) -> bool:
        """The producer publishes this column in edition `millesime` (always, when no editions are declared)."""
        if not self.editions or millesime is None:
            return True
        return any(
            (low is None or millesime >= low) and (high is None or millesime <= high)
            for low, high in self.editions
        )

    @property
    def editions_label(self) -> str:
        """`2017-2019`, `2021-`, `2017, 2019-2020`; "" when every edition has the column."""
        return ", ".join(edition_ranges(self.editions))


def edition_ranges(ranges: tuple[tuple[int | None, int | None], ...]) -> list[str]:
    """Each range as a contract writes it: `2017`, `2017-2019`, `2021-`, `-2019`."""
    return [
        str(low) if low == high else f"{'' if low is None else low}-{'' if high is None else high}"
        for low, high in ranges
    ]


def parse_editions(where: str, value: Any) -> tuple[tuple[int | None, int | None], ...]:
    """`editions:` of a column: a year, `2017-2019`, `2021-` (from), `-2019` (until), or a list of those."""
    items = value if isinstance(value, list) else [value]
    out: list[tuple[int | None, int | None]] = []
    for item in items:
        text = str(item).strip()
        match = re.fullmatch(r"(\d{4})?\s*(-)?\s*(\d{4})?", text)
        if not text or match is None or (match.group(2) is None and match.group(3) is not None):
            raise ContractError(f"{where}: editions {item!r}: expected 2017, 2017-2019, 2021- or -2019")
        low = int(match.group(1)) if match.group(1) else None
        high = int(match.group(3)) if match.group(3) else (None if match.group(2) else low)
        if low is None and high is None:
            raise ContractError(f"{where}: editions {item!r}: give at least one year")
        if low is not None and high is not None and low > high:
            raise ContractError(f"{where}: editions {item!r}: the first year is after the last")
        out.append((low, high))
    return tuple(out)


@dataclass(frozen=True)
class Box:
    """A longitude/latitude rectangle (WGS84 degrees). `codes`: in a geometry rule with `by`, a regular
    expression on the `by` column naming the rows this box is for (e.g. the départements of metropolitan France)."""

    name: str
    longitude: tuple[float, float]
    latitude: tuple[float, float]
    codes: str | None = None


@dataclass(frozen=True)
class BoundingBoxRule:
    """The point (longitude, latitude) lies in one of the boxes (rows with a blank coordinate are not checked)."""

    longitude: str
    latitude: str
    boxes: tuple[Box, ...]
    description: str
    on_fail: Literal["quarantine"] = "quarantine"


@dataclass(frozen=True)
class GeometryBoxRule:
    """Blocking: the envelope of the geometry (ST_XMin, ST_XMax, ST_YMin, ST_YMax) lies inside one of the boxes.

    With `by` (a column, e.g. insee_dep), a row is checked against the boxes whose `codes` match its value (a box
    without `codes` is for every row); a row whose value no box's `codes` matches (or a blank) against every box.
    A blank or empty geometry is left to the GeometryTypeRule. Evaluated when the file is loaded
    (pipelines/sources/loaders/spatial.py): a violation refuses the file, naming the feature and its key."""

    geometry: str
    boxes: tuple[Box, ...]
    description: str
    by: str | None = None

    def boxes_for(self, value: object) -> tuple[Box, ...]:
        """The boxes a row whose `by` column holds `value` must lie in (one of them)."""
        if self.by is None or value is None:
            return self.boxes
        text = str(value)
        mine = tuple(b for b in self.boxes if b.codes is None or re.search(b.codes, text))
        return mine if any(b.codes is not None for b in mine) else self.boxes


@dataclass(frozen=True)
class GeometryTypeRule:
    """Blocking: the geometry is present, not empty, and of one of `types` (ST_GeometryType: MULTIPOLYGON...).
    Evaluated when the file is loaded (pipelines/sources/loaders/spatial.py), like GeometryBoxRule."""

    column: str
    types: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class SumRule:
    """sum(columns) = total (a column) or = value, within tolerance, on rows where every term is present."""

    columns: tuple[str, ...]
    total: str | None
    value: float | None
    tolerance: float
    description: str

    @property
    def label(self) -> str:
        right = self.total if self.total is not None else f"{self.value:g}"
        return f"{' + '.join(self.columns)} = {right} (± {self.tolerance:g})"


@dataclass(frozen=True)
class Reference:
    """Referential integrity: every value of `column` exists in `dataset`.`referenced_column`.

    `separator`: the cell lists several codes (e.g. "02571, 02691"); `ignore_values` / `ignore_pattern`: values
    that are not codes (HZ) or codes legitimately outside the referenced table (documented in `description`).
    The contract's excludeRows apply too. Evaluated in SQL by pipelines.checks.integrity (blocking if severity error).
    """

    column: str
    dataset: str
    referenced_column: str
    description: str
    severity: Literal["error", "warn"] = "error"
    separator: str | None = None
    ignore_values: tuple[str, ...] = ()
    ignore_pattern: str | None = None


@dataclass(frozen=True)
class CompareRule:
    """`left >= right` on every row where both are present (e.g. APRES50 >= APRES100)."""

    left: str
    operator: Literal[">=", ">"]
    right: str
    description: str


@dataclass(frozen=True)
class Contract:
    name: str
    version: str
    title: str
    description: str
    producer: str
    license: str
    official_url: str
    cadence: str
    freshness: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    row_count_min: int | None = None
    row_count_max: int | None = None
    exclude_from_rules: dict[str, tuple[str, ...]] = field(default_factory=dict)
    compare_rules: tuple[CompareRule, ...] = ()
    # A file column the contract does not describe: "reject" (schema drift is an error naming the new and the
    # absent columns: frozen, fully described series) or "ignore" (producers that add columns without notice).
    unknown_columns: Literal["reject", "ignore"] = "ignore"
    # Cell values that mean "no value" besides the blank cell (Filosofi's ns / nd / s markers): read as null.
    null_values: tuple[str, ...] = ()
    bounding_boxes: tuple[BoundingBoxRule, ...] = ()
    # blocking rules on a geometry column, checked by the spatial loader: type (present, not empty) then boxes
    geometry_types: tuple[GeometryTypeRule, ...] = ()
    geometry_boxes: tuple[GeometryBoxRule, ...] = ()
    sum_rules: tuple[SumRule, ...] = ()
    references: tuple[Reference, ...] = ()
    path: Path | None = None
    # `freshnessMaxAgeDays`: the newest file older than that gives a warning (pipelines.orchestration.freshness); None: no check.
    freshness_max_age_days: int | None = None

    @property
    def quarantines(self) -> bool:
        """Some rule of the contract moves offending rows to quarantine instead of stopping the run."""
        return bool(self.bounding_boxes) or any(c.on_fail == "quarantine" for c in self.columns)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def alias_map(self, millesime: int | None = None) -> dict[str, str]:
        """Every accepted header (canonical name or alias, upper-cased) -> canonical column name.

        An alias may carry the edition's year on two digits, `{aa}` (Filosofi writes `Q218`, `NBMEN18` in the
        2018 files): for edition `millesime` it stands for that year only; with no edition, for any year.
        """
        mapping: dict[str, str] = {}
        for col in self.columns:
            for header in (col.name, *col.aliases):
                for key in expand_year(header.strip().upper(), millesime):
                    if key in mapping and mapping[key] != col.name:
                        raise ContractError(f"{self.path}: header {header!r} maps to two columns")
                    mapping[key] = col.name
        return mapping


YEAR_PLACEHOLDER = "{AA}"


def expand_year(header: str, millesime: int | None) -> list[str]:
    """The headers an alias stands for: `{aa}` replaced by the edition's year on two digits (any year if None)."""
    if YEAR_PLACEHOLDER not in header.upper():
        return [header]
    years = [millesime % 100] if millesime is not None else range(100)
    return [header.upper().replace(YEAR_PLACEHOLDER, f"{year:02d}") for year in years]


def _expect_keys(where: str, data: dict, allowed: set[str], required: set[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ContractError(f"{where}: unknown keys {sorted(unknown)} (allowed: {sorted(allowed)})")
    missing = required - set(data)
    if missing:
        raise ContractError(f"{where}: missing keys {sorted(missing)}")


_COLUMN_KEYS = {
    "name",
    "logicalType",
    "description",
    "aliases",
    "unit",
    "required",
    "nullable",
    "blank",
    "logicalTypeOptions",
    "primaryKey",
    "examples",
    "severity",
    "onFail",
    "editions",
}
_OPTION_KEYS = {"minimum", "maximum", "pattern", "allowedValues", "nonFinite"}


def _parse_column(where: str, data: dict) -> Column:
    _expect_keys(where, data, _COLUMN_KEYS, {"name", "logicalType", "description"})
    if data["logicalType"] not in _LOGICAL_TYPES:
        raise ContractError(f"{where}: logicalType must be one of {_LOGICAL_TYPES}")
    blank = data.get("blank", "secret")
    if blank not in _BLANK_MEANINGS:
        raise ContractError(f"{where}: blank must be one of {_BLANK_MEANINGS}")
    options = data.get("logicalTypeOptions") or {}
    _expect_keys(f"{where}.logicalTypeOptions", options, _OPTION_KEYS, set())
    allowed = options.get("allowedValues")
    if data.get("severity", "error") not in ("error", "warn"):
        raise ContractError(f"{where}: severity must be error or warn")
    on_fail = data.get("onFail", "stop")
    if on_fail not in _ON_FAIL:
        raise ContractError(f"{where}: onFail must be one of {_ON_FAIL}")
    return Column(
        editions=parse_editions(where, data["editions"]) if data.get("editions") is not None else (),
        on_fail=on_fail,
        severity=data.get("severity", "error"),
        name=data["name"],
        logical_type=data["logicalType"],
        description=data["description"].strip(),
        aliases=tuple(data.get("aliases") or ()),
        unit=data.get("unit"),
        required=bool(data.get("required", False)),
        nullable=bool(data.get("nullable", True)),
        blank=blank,
        minimum=options.get("minimum"),
        maximum=options.get("maximum"),
        pattern=options.get("pattern"),
        allowed_values=tuple(allowed) if allowed is not None else None,
        non_finite=bool(options.get("nonFinite", False)),
    )


def load_contract(path: str | Path) -> Contract:
    """Read and check one contract file."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ContractError(f"{path}: invalid YAML: {exc}") from exc
    where = str(path)
    if isinstance(doc, dict) and "extends" in doc:
        doc = _extend(path, doc)
    _expect_keys(
        where,
        doc,
        {
            "apiVersion",
            "kind",
            "id",
            "name",
            "version",
            "status",
            "domain",
            "description",
            "producer",
            "license",
            "officialUrl",
            "cadence",
            "freshness",
            "freshnessMaxAgeDays",
            "unknownColumns",
            "nullValues",
            "schema",
        },
        {"apiVersion", "kind", "name", "version", "description", "producer", "license", "schema"},
    )
    if doc["kind"] != "DataContract":
        raise ContractError(f"{where}: kind must be DataContract")
    if len(doc["schema"]) != 1:
        raise ContractError(f"{where}: exactly one schema object per contract")
    obj = doc["schema"][0]
    _expect_keys(
        f"{where}.schema[0]",
        obj,
        {"name", "physicalName", "description", "properties", "quality", "references"},
        {"name", "properties"},
    )
    columns = tuple(
        _parse_column(f"{where}.schema[0].properties[{i}]", p) for i, p in enumerate(obj["properties"])
    )
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise ContractError(f"{where}: duplicate column names")
    key = tuple(p["name"] for p in obj["properties"] if p.get("primaryKey"))

    row_min = row_max = None
    compare: list[CompareRule] = []
    exclude: dict[str, tuple[str, ...]] = {}
    boxes: list[BoundingBoxRule] = []
    geometry_boxes: list[GeometryBoxRule] = []
    geometry_types: list[GeometryTypeRule] = []
    sums: list[SumRule] = []
    for i, rule in enumerate(obj.get("quality") or []):
        rwhere = f"{where}.schema[0].quality[{i}]"
        kind = rule.get("rule")
        if kind == "rowCount":
            _expect_keys(rwhere, rule, {"rule", "description", "mustBeBetween"}, {"rule", "mustBeBetween"})
            row_min, row_max = rule["mustBeBetween"]
        elif kind == "compare":
            _expect_keys(
                rwhere, rule, {"rule", "description", "left", "operator", "right"}, {"rule", "left", "right"}
            )
            for col in (rule["left"], rule["right"]):
                if col not in names:
                    raise ContractError(f"{rwhere}: unknown column {col}")
            compare.append(
                CompareRule(
                    rule["left"], rule.get("operator", ">="), rule["right"], rule.get("description", "")
                )
            )
        elif kind == "excludeRows":
            # Rows that are not observations (e.g. the "Ensemble des QPV" aggregate row) are kept in raw
            # but excluded from the column rules: {column: [values]}.
            _expect_keys(
                rwhere, rule, {"rule", "description", "column", "values"}, {"rule", "column", "values"}
            )
            exclude[rule["column"]] = tuple(rule["values"])
        elif kind == "boundingBox" and "geometry" in rule:
            geometry_boxes.append(_parse_geometry_box(rwhere, rule, columns))
        elif kind == "boundingBox":
            boxes.append(_parse_bounding_box(rwhere, rule, names))
        elif kind == "geometryType":
            geometry_types.append(_parse_geometry_type(rwhere, rule, columns))
        elif kind == "sum":
            sums.append(_parse_sum(rwhere, rule, names))
        else:
            raise ContractError(
                f"{rwhere}: unknown rule {kind!r} (rowCount, compare, excludeRows, boundingBox, "
                "geometryType, sum)"
            )
    references = tuple(
        _parse_reference(f"{where}.schema[0].references[{i}]", ref, names)
        for i, ref in enumerate(obj.get("references") or [])
    )

    unknown_columns = doc.get("unknownColumns", "ignore")
    if unknown_columns not in ("reject", "ignore"):
        raise ContractError(f"{where}: unknownColumns must be reject or ignore")
    max_age = doc.get("freshnessMaxAgeDays")
    if max_age is not None and (isinstance(max_age, bool) or not isinstance(max_age, int) or max_age <= 0):
        raise ContractError(f"{where}: freshnessMaxAgeDays must be a positive number of days")
    return Contract(
        freshness_max_age_days=max_age,
        unknown_columns=unknown_columns,
        null_values=tuple(str(v) for v in doc.get("nullValues") or ()),
        name=doc["name"],
        version=str(doc["version"]),
        title=(doc["description"].get("title") or doc["name"]).strip(),
        description=(doc["description"].get("purpose") or "").strip(),
        producer=doc["producer"],
        license=doc["license"],
        official_url=doc.get("officialUrl", ""),
        cadence=doc.get("cadence", ""),
        freshness=doc.get("freshness", ""),
        columns=columns,
        key=key,
        row_count_min=row_min,
        row_count_max=row_max,
        exclude_from_rules=exclude,
        compare_rules=tuple(compare),
        bounding_boxes=tuple(boxes),
        geometry_types=tuple(geometry_types),
        geometry_boxes=tuple(geometry_boxes),
        sum_rules=tuple(sums),
        references=references,
        path=path,
    )


def _extend(path: Path, doc: dict) -> dict:
    """A contract that `extends` another (one layout published per level, e.g. Filosofi communes, EPCI...): the base
    contract's document, with the top-level keys given here replaced, the schema's name, physicalName, description,
    quality and references replaced when given, and its columns overridden by name (a column given here replaces
    the base column of the same name; a new name is appended)."""
    base_path = CONTRACTS_DIR / doc["extends"]
    try:
        base = yaml.safe_load(base_path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ContractError(f"{path}: extends {doc['extends']}: {exc}") from exc
    if "extends" in base:
        raise ContractError(
            f"{path}: extends {doc['extends']}, which extends another contract (one level only)"
        )
    merged = {**base, **{k: v for k, v in doc.items() if k not in ("extends", "schema")}}
    if doc.get("schema"):
        child, parent = doc["schema"][0], base["schema"][0]
        schema = {**parent, **{k: v for k, v in child.items() if k != "properties"}}
        overrides = {p["name"]: p for p in child.get("properties") or []}
        names = {p["name"] for p in parent["properties"]}
        schema["properties"] = [overrides.get(p["name"], p) for p in parent["properties"]] + [
            p for p in child.get("properties") or [] if p["name"] not in names
        ]
        merged["schema"] = [schema]
    return merged


def _parse_bounding_box(where: str, rule: dict, names: list[str]) -> BoundingBoxRule:
    _expect_keys(
        where,
        rule,
        {"rule", "description", "longitude", "latitude", "boxes", "onFail"},
        {"rule", "longitude", "latitude", "boxes", "onFail"},
    )
    if rule["onFail"] != "quarantine":
        raise ContractError(f"{where}: a boundingBox rule must say onFail: quarantine")
    for col in (rule["longitude"], rule["latitude"]):
        if col not in names:
            raise ContractError(f"{where}: unknown column {col}")
    boxes = _parse_boxes(where, rule["boxes"], with_codes=False)
    return BoundingBoxRule(rule["longitude"], rule["latitude"], boxes, rule.get("description", ""))


def _parse_boxes(where: str, items: list, with_codes: bool) -> tuple[Box, ...]:
    boxes = []
    keys = {"name", "longitude", "latitude"}
    for j, box in enumerate(items or []):
        _expect_keys(f"{where}.boxes[{j}]", box, keys | ({"codes"} if with_codes else set()), keys)
        lon, lat = (tuple(float(v) for v in box[k]) for k in ("longitude", "latitude"))
        if len(lon) != 2 or len(lat) != 2 or lon[0] > lon[1] or lat[0] > lat[1]:
            raise ContractError(f"{where}.boxes[{j}]: longitude and latitude are [min, max]")
        codes = box.get("codes")
        if codes is not None:
            try:
                re.compile(codes)
            except re.error as exc:
                raise ContractError(f"{where}.boxes[{j}]: codes is not a regular expression: {exc}") from exc
        boxes.append(Box(box["name"], lon, lat, codes))
    if not boxes:
        raise ContractError(f"{where}: give at least one box")
    return tuple(boxes)


def _geometry_column(where: str, name: str, columns: tuple[Column, ...]) -> str:
    if not any(c.name == name and c.logical_type == "geometry" for c in columns):
        raise ContractError(f"{where}: {name!r} is not a geometry column of the contract")
    return name


def _parse_geometry_box(where: str, rule: dict, columns: tuple[Column, ...]) -> GeometryBoxRule:
    """`boundingBox` on a geometry column (`geometry:` instead of longitude/latitude): blocking, `onFail: stop`."""
    _expect_keys(
        where,
        rule,
        {"rule", "description", "geometry", "by", "boxes", "onFail"},
        {"rule", "geometry", "boxes", "onFail"},
    )
    if rule["onFail"] != "stop":
        raise ContractError(f"{where}: a boundingBox rule on a geometry must say onFail: stop (blocking)")
    geometry = _geometry_column(where, rule["geometry"], columns)
    by = rule.get("by")
    if by is not None and by not in {c.name for c in columns}:
        raise ContractError(f"{where}: unknown column {by}")
    boxes = _parse_boxes(where, rule["boxes"], with_codes=by is not None)
    return GeometryBoxRule(geometry, boxes, " ".join(str(rule.get("description", "")).split()), by)


def _parse_geometry_type(where: str, rule: dict, columns: tuple[Column, ...]) -> GeometryTypeRule:
    _expect_keys(where, rule, {"rule", "description", "column", "types"}, {"rule", "column", "types"})
    column = _geometry_column(where, rule["column"], columns)
    types = tuple(str(t).upper() for t in rule["types"] or ())
    if not types:
        raise ContractError(f"{where}: types lists at least one geometry type (MULTIPOLYGON, POLYGON...)")
    return GeometryTypeRule(column, types, " ".join(str(rule.get("description", "")).split()))


def _parse_sum(where: str, rule: dict, names: list[str]) -> SumRule:
    _expect_keys(
        where,
        rule,
        {"rule", "description", "columns", "equals", "equalsValue", "tolerance"},
        {"rule", "columns"},
    )
    if ("equals" in rule) == ("equalsValue" in rule):
        raise ContractError(f"{where}: give exactly one of equals (a column) or equalsValue (a number)")
    for col in [*rule["columns"], *([rule["equals"]] if "equals" in rule else [])]:
        if col not in names:
            raise ContractError(f"{where}: unknown column {col}")
    return SumRule(
        columns=tuple(rule["columns"]),
        total=rule.get("equals"),
        value=float(rule["equalsValue"]) if "equalsValue" in rule else None,
        tolerance=float(rule.get("tolerance", 0)),
        description=rule.get("description", ""),
    )


def _parse_reference(where: str, ref: dict, names: list[str]) -> Reference:
    _expect_keys(
        where,
        ref,
        {
            "column",
            "dataset",
            "referencedColumn",
            "description",
            "severity",
            "separator",
            "ignoreValues",
            "ignorePattern",
        },
        {"column", "dataset", "referencedColumn", "description"},
    )
    if ref["column"] not in names:
        raise ContractError(f"{where}: unknown column {ref['column']}")
    if ref.get("severity", "error") not in ("error", "warn"):
        raise ContractError(f"{where}: severity must be error or warn")
    return Reference(
        column=ref["column"],
        dataset=ref["dataset"],
        referenced_column=ref["referencedColumn"],
        description=" ".join(ref["description"].split()),
        severity=ref.get("severity", "error"),
        separator=ref.get("separator"),
        ignore_values=tuple(str(v) for v in ref.get("ignoreValues") or ()),
        ignore_pattern=ref.get("ignorePattern"),
    )


def contract_path(relative: str) -> Path:
    return CONTRACTS_DIR / relative


def all_contract_files() -> list[Path]:
    return sorted(CONTRACTS_DIR.rglob("*.yaml"))
