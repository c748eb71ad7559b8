"""The dashboards as a Dagster asset, downstream of the marts they read."""
# No `from __future__ import annotations` here: Dagster reads the resource and context type hints at runtime.

from dagster import AssetKey, MaterializeResult, MetadataValue, asset

from dashboards.render import render_all
from pipelines.resources import DashboardOutput, DuckDBWarehouse


@asset(
    key=AssetKey(["dashboards", "pages"]),
    deps=[AssetKey(["marts", "indicateurs_qpv"]), AssetKey(["marts", "ref_indicateurs"])],
    group_name="dashboards",
    kinds={"html", "plotly"},
    description="Offline HTML dashboards in French (index.html + one page per theme), read from the marts only.",
)
def dashboard_pages(warehouse: DuckDBWarehouse, dashboards: DashboardOutput) -> MaterializeResult:
    written = render_all(warehouse.path, dashboards.out_dir)
    return MaterializeResult(
        metadata={
            "index": MetadataValue.path(str(written[0])),
            "files": MetadataValue.json([str(p) for p in written]),
        }
    )
