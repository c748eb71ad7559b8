"""The dashboards as a Dagster asset, downstream of the marts they read."""
# No `from __future__ import annotations` here: Dagster reads the resource and context type hints at runtime.

from dagster import AssetKey, MaterializeResult, MetadataValue, asset

from dashboards.render import render_all
from pipelines.paths import SQL_DIR
from pipelines.resources import DashboardOutput, DuckDBWarehouse
from pipelines.warehouse.publication import PUBLICATION

# The pages may read any mart: the asset depends on every one of them (sql/marts/*.sql), so a page never runs
# before the mart it reads, and a mart added later is picked up without editing this file.
MARTS = [AssetKey(["marts", path.stem]) for path in sorted((SQL_DIR / "marts").glob("*.sql"))]


@asset(
    key=AssetKey(["dashboards", "pages"]),
    deps=[PUBLICATION, *MARTS],
    group_name="dashboards",
    kinds={"html", "plotly"},
    description="Offline HTML dashboards in French (index.html + one page per theme), read from the marts of the "
    "published warehouse only (after entrepot/publication).",
)
def dashboard_pages(warehouse: DuckDBWarehouse, dashboards: DashboardOutput) -> MaterializeResult:
    notes: list[str] = []
    # after entrepot/publication: the published file is this run's build (or, when the run did not publish,
    # the last published warehouse)
    written = render_all(warehouse.path, dashboards.out_dir, notes=notes)
    return MaterializeResult(
        metadata={
            "notes": MetadataValue.json(notes),
            "index": MetadataValue.path(str(written[0])),
            "files": MetadataValue.json([str(p) for p in written]),
        }
    )
