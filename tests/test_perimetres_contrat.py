"""Issue 26: the geometry rules of the QPV 2024 perimeter contract, blocking (`geometryType`, `boundingBox` on
`geom` by `insee_dep`). A perimeter with latitude and longitude swapped, moved to another continent or to another
territory, a point, a line, a null or an empty geometry refuses the file with one French line naming the file, the
feature, its code_qp and the rule; a self-intersecting polygon stays a warning (repaired in staging); the real file
and the demo pass. The small files are a few features of the real file (../shared/data)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from assets import all_sources
from pipelines.checks.holdback import load_holding_back
from pipelines.checks.validation import check_file, check_query, validate_relation
from pipelines.contracts.model import ContractError, load_contract
from pipelines.sources.loaders import get_loader
from pipelines.sources.parsing import InputError, discover_files
from pipelines.warehouse.connection import connect

SOURCE = next(s for s in all_sources() if s.name == "anct_qpv2024_perimetres")
RELATIVE = "anct_qpv2024/qpv2024_simplified.geojson"
# one perimeter of each kind of box: Nord (first), La Réunion, Polynésie française, Saint-Martin, Corse
PICKED_DEPS = ("59", "974", "987", "978", "2A")


@pytest.fixture(scope="module")
def features(shared_data: Path) -> list[dict]:
    doc = json.loads((shared_data / RELATIVE).read_text(encoding="utf-8"))
    out = []
    for dep in PICKED_DEPS:
        out.append(next(f for f in doc["features"] if f["properties"]["insee_dep"] == dep))
    return out


def write(root: Path, features: list[dict]) -> Path:
    path = root / RELATIVE
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return root


def load(root: Path) -> int:
    con = connect(None)
    try:
        report = get_loader("spatial")(SOURCE, discover_files(SOURCE, root), con, "raw.incoming")
        return report.rows
    finally:
        con.close()


def coordinates_map(geometry: dict, change) -> dict:
    """The geometry with every [x, y] position replaced by change(x, y)."""

    def walk(node):
        if node and isinstance(node[0], (int, float)):
            return list(change(*node[:2]))
        return [walk(child) for child in node]

    return {**geometry, "coordinates": walk(geometry["coordinates"])}


def test_the_contract_declares_blocking_geometry_rules():
    contract = SOURCE.load_contract()
    [types] = contract.geometry_types
    assert types.column == "geom" and types.types == ("MULTIPOLYGON", "POLYGON")
    [boxes] = contract.geometry_boxes
    assert boxes.geometry == "geom" and boxes.by == "insee_dep"
    assert {b.name for b in boxes.boxes} == {
        "métropole et Corse",
        "Guadeloupe",
        "Martinique",
        "Guyane",
        "La Réunion",
        "Mayotte",
        "Saint-Martin et Saint-Barthélemy",
        "Polynésie française",
    }
    assert [b.name for b in boxes.boxes_for("59")] == ["métropole et Corse"]
    assert [b.name for b in boxes.boxes_for("2B")] == ["métropole et Corse"]
    assert [b.name for b in boxes.boxes_for("987")] == ["Polynésie française"]
    assert len(boxes.boxes_for(None)) == len(boxes.boxes_for("975")) == 8  # no box named: any box
    # the invalid polygon stays a warning on the column (repaired by ST_MakeValid in staging)
    assert contract.column("geom").severity == "warn"


def test_real_file_passes_every_geometry_rule(shared_data: Path):
    """The 1,609 perimeters of ../shared/data: loaded, nothing refused, and the contract check passes."""
    con = connect(None)
    try:
        report = get_loader("spatial")(
            SOURCE, discover_files(SOURCE, shared_data), con, "raw.anct_qpv2024_perimetres"
        )
        assert report.rows == 1609
        validation, _ = validate_relation(
            con, check_query(SOURCE.name, SOURCE.load_contract()), SOURCE.load_contract()
        )
    finally:
        con.close()
    assert validation.passed, validation.summary()


def test_demo_perimeters_pass(tmp_path: Path):
    from pipelines.domain.demo.generator import qpv2024_geojson
    from pipelines.domain.demo.territory import build_territory

    path = tmp_path / RELATIVE
    path.parent.mkdir(parents=True)
    path.write_bytes(qpv2024_geojson(build_territory(2024)))  # the seed of `qpv demo`
    assert load(tmp_path) == 30


def test_small_file_passes(tmp_path: Path, features):
    assert load(write(tmp_path, features)) == len(PICKED_DEPS)


def _swap(f: dict) -> None:
    f["geometry"] = coordinates_map(f["geometry"], lambda x, y: (y, x))


def _asia(f: dict) -> None:
    f["geometry"] = coordinates_map(f["geometry"], lambda x, y: (x + 100, y))


def _point(f: dict) -> None:
    f["geometry"] = {"type": "Point", "coordinates": [3.06, 50.63]}


def _line(f: dict) -> None:
    f["geometry"] = {"type": "LineString", "coordinates": [[3.06, 50.63], [3.07, 50.64]]}


def _null(f: dict) -> None:
    f["geometry"] = None


def _empty(f: dict) -> None:
    f["geometry"] = {"type": "MultiPolygon", "coordinates": []}


CASES = {
    # feature 1 is the Nord perimeter (insee_dep 59)
    "swapped_lat_lon": (
        _swap,
        "règle boundingBox de la colonne geom : emprise lon [50.",
        "hors de la zone attendue (métropole et Corse) : latitude et longitude inversées, ou contour déplacé ?",
    ),
    "moved_to_asia": (
        _asia,
        "règle boundingBox de la colonne geom : emprise lon [103.",
        "(métropole et Corse)",
    ),
    "point": (
        _point,
        "règle geometryType de la colonne geom : géométrie POINT, attendu un MULTIPOLYGON ou POLYGON",
    ),
    "linestring": (_line, "règle geometryType de la colonne geom : géométrie LINESTRING, attendu"),
    "null": (
        _null,
        "règle geometryType de la colonne geom : géométrie absente (nulle), attendu un MULTIPOLYGON",
    ),
    "empty": (_empty, "règle geometryType de la colonne geom : géométrie MULTIPOLYGON vide, attendu"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_geometry_refuses_the_file(case: str, tmp_path: Path, features):
    spoil, *expected = CASES[case]
    bad = copy.deepcopy(features)
    spoil(bad[0])
    code = bad[0]["properties"]["code_qp"]
    with pytest.raises(InputError) as raised:
        load(write(tmp_path, bad))
    message = str(raised.value)
    assert "\n" not in message
    head = f"{RELATIVE} : entité 1 (code_qp {code}"
    assert message.startswith(head), message
    for part in expected:
        assert part in message, message
    assert message.endswith("; 1 entité(s) en infraction"), message


def test_perimeter_of_the_nord_placed_in_la_reunion_is_refused(tmp_path: Path, features):
    """A box per département: a perimeter inside France's boxes but in another territory is caught."""
    bad = copy.deepcopy(features)
    bad[0]["geometry"] = copy.deepcopy(features[1]["geometry"])  # the Réunion perimeter's shape
    with pytest.raises(InputError) as raised:
        load(write(tmp_path, bad))
    code = bad[0]["properties"]["code_qp"]
    message = str(raised.value)
    head = f"{RELATIVE} : entité 1 (code_qp {code}, insee_dep 59) : règle boundingBox de la colonne geom"
    assert message.startswith(f"{head} : emprise lon [55."), message
    assert "hors de la zone attendue (métropole et Corse)" in message


def test_departement_without_a_box_must_be_in_one_of_them(tmp_path: Path, features):
    """insee_dep blank (or a code no box names): any of France's boxes, never outside them all."""
    good = copy.deepcopy(features)
    good[0]["properties"]["insee_dep"] = None
    assert load(write(tmp_path, good)) == len(PICKED_DEPS)
    _asia(good[0])
    with pytest.raises(
        InputError, match=r"insee_dep None\) : règle boundingBox .* hors de la zone attendue \(métropole"
    ):
        load(write(tmp_path, good))


def test_self_intersecting_polygon_stays_a_warning(tmp_path: Path, features):
    bad = copy.deepcopy(features)
    (x, y) = bad[0]["geometry"]["coordinates"][0][0][0]
    bowtie = [[x, y], [x + 0.01, y + 0.01], [x + 0.01, y], [x, y + 0.01], [x, y]]
    bad[0]["geometry"] = {"type": "Polygon", "coordinates": [bowtie]}
    write(tmp_path, bad)
    con = connect(None)
    try:
        get_loader("spatial")(SOURCE, discover_files(SOURCE, tmp_path), con, "raw.anct_qpv2024_perimetres")
        report, _ = validate_relation(
            con, check_query(SOURCE.name, SOURCE.load_contract()), SOURCE.load_contract()
        )
    finally:
        con.close()
    assert report.passed, report.summary()
    [warning] = report.warnings
    assert (warning.rule, warning.column, warning.examples[0]["geom"]) == (
        "allowed_values",
        "geom",
        "INVALID",
    )


def test_refused_file_is_held_back_and_checked_by_qpv_contracts_check(tmp_path: Path, features):
    """Default run: the file is held back alone with the one-line reason; `qpv contracts check` gives it too."""
    bad = copy.deepcopy(features)
    _point(bad[1])  # feature 2, La Réunion
    write(tmp_path, bad)
    con = connect(None)
    try:
        files = discover_files(SOURCE, tmp_path)
        report, kept, held = load_holding_back(get_loader("spatial"), SOURCE, files, con, "raw.incoming")
    finally:
        con.close()
    assert report is None and kept == []
    [item] = held
    code = bad[1]["properties"]["code_qp"]
    assert item.reason.startswith(
        f"{RELATIVE} : entité 2 (code_qp {code}) : règle geometryType de la colonne geom"
    )
    with pytest.raises(InputError) as raised:
        check_file(tmp_path / RELATIVE, SOURCE)
    assert f"entité 2 (code_qp {code}) : règle geometryType" in str(raised.value)


def _contract(tmp_path: Path, rule: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(
        "apiVersion: v3.0.2\nkind: DataContract\nname: t\nversion: 1.0.0\ndescription: {title: t}\n"
        "producer: p\nlicense: l\nschema:\n  - name: t\n    properties:\n"
        "      - {name: code, logicalType: string, description: c}\n"
        "      - {name: geom, logicalType: geometry, description: g}\n"
        f"    quality:\n      - {rule}\n",
        encoding="utf-8",
    )
    return path


BOX = "boxes: [{name: a, longitude: [0, 1], latitude: [0, 1]}]"


@pytest.mark.parametrize(
    ("rule", "error"),
    [
        (f"{{rule: boundingBox, geometry: geom, onFail: quarantine, {BOX}}}", "onFail: stop"),
        (f"{{rule: boundingBox, geometry: code, onFail: stop, {BOX}}}", "not a geometry column"),
        (
            "{rule: boundingBox, geometry: geom, by: code, onFail: stop, "
            "boxes: [{name: a, codes: '(', longitude: [0, 1], latitude: [0, 1]}]}",
            "not a regular expression",
        ),
        (f"{{rule: boundingBox, geometry: geom, by: nope, onFail: stop, {BOX}}}", "unknown column nope"),
        ("{rule: geometryType, column: geom, types: []}", "at least one geometry type"),
    ],
)
def test_malformed_geometry_rules_are_refused(tmp_path: Path, rule: str, error: str):
    with pytest.raises(ContractError, match=error):
        load_contract(_contract(tmp_path, rule))


def test_swapped_polynesia_is_named_as_swapped(tmp_path: Path, features):
    """Latitude -149°: beyond the latitude range, caught first by the range check, which names the swap."""
    bad = copy.deepcopy(features)
    _swap(bad[2])  # feature 3, Polynésie française: (-17.5, -149.5)
    with pytest.raises(InputError) as raised:
        load(write(tmp_path, bad))
    code = bad[2]["properties"]["code_qp"]
    assert str(raised.value).startswith(f"{RELATIVE} : entité 3 (code_qp {code}) : coordonnées (-17.")
    assert str(raised.value).endswith(
        "hors des plages de longitude/latitude dans la colonne geom ; 1 entité(s) : latitude et longitude inversées ?"
    )


def test_dagster_run_stops_and_the_published_perimeters_stay(tmp_path: Path, features):
    """The raw asset and its blocking contract check in Dagster: a good file is published; then a file with
    latitude and longitude swapped stops the run with `--strict` (one French line naming the file, the code_qp
    and the rule) and is held back by default; either way the published perimeters are those of the good file."""
    import duckdb
    from dagster import DagsterInstance, materialize

    from assets.factory import contract_check, raw_asset
    from pipelines.resources import resources_for

    warehouse = tmp_path / "qpv.duckdb"

    def run(data: Path, strict: bool):
        with DagsterInstance.ephemeral() as instance:
            return materialize(
                [raw_asset(SOURCE), contract_check(SOURCE)],
                resources=resources_for(data, warehouse, tmp_path / "dash", strict=strict),
                instance=instance,
                raise_on_error=False,
            )

    def published() -> list[tuple]:
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            return con.execute(
                "select code_qp, _sha256, hash(ST_AsWKB(geom)) from raw.anct_qpv2024_perimetres order by 1"
            ).fetchall()
        finally:
            con.close()

    assert run(write(tmp_path / "good", features), strict=True).success
    before = published()
    assert len(before) == len(PICKED_DEPS)

    bad = copy.deepcopy(features)
    _swap(bad[0])
    code = bad[0]["properties"]["code_qp"]
    data = write(tmp_path / "bad", bad)
    result = run(data, strict=True)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    error = failure.event_specific_data.error
    while error.cause is not None:
        error = error.cause
    message = error.message.strip().split(": ", 1)[1]  # without the exception's class
    assert "\n" not in message
    assert message.startswith(f"{RELATIVE} : entité 1 (code_qp {code}, insee_dep 59) : règle boundingBox"), (
        message
    )
    assert published() == before

    result = run(data, strict=False)  # default: the file is held back alone, the published rows are kept
    assert result.success
    [materialization] = result.asset_materializations_for_node(f"raw__{SOURCE.name}")
    [held] = materialization.metadata["held_back"].value
    assert (
        held["file"] == RELATIVE and f"(code_qp {code}, insee_dep 59) : règle boundingBox" in held["reason"]
    )
    assert held["kept_rows"] == len(PICKED_DEPS)
    assert published() == before
