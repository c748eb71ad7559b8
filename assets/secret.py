"""The audit of the secret across editions and additive relations (pipelines/domain/secret_editions.py) as an asset
between the secondary suppression and the marts: `intermediate.int_secret_editions` lists the territory aggregates
withheld and the QPV cells suppressed so that no suppressed QPV value can be recovered by combining the territory sums
of several editions and the additive relations between indicators (sql/seeds/relations_additives.csv)."""
# No `from __future__ import annotations` here: Dagster reads the resource and context type hints at runtime.

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from pipelines.domain.secret_editions import withhold_across_editions
from pipelines.resources import DuckDBWarehouse
from pipelines.warehouse.connection import transaction

KEY = AssetKey(["intermediate", "int_secret_editions"])


@asset(
    key=KEY,
    deps=[
        AssetKey(["intermediate", "int_secret_cellules"]),
        AssetKey(["intermediate", "int_secret_complementaire"]),
        AssetKey(["intermediate", "int_relations_additives"]),
    ],
    group_name="intermediate",
    kinds={"duckdb", "python"},
    description=(
        "Grain: one row per territory aggregate (niveau, code_territoire, serie) withheld because, combined with the "
        "sums of other editions or with an additive relation between indicators, it would let a suppressed QPV value "
        "be recovered by an attacker who guesses which small counts did not change (the strongest: the true "
        "equalities); and one row per QPV cell (niveau 'qpv', code_territoire = code_qp) suppressed because an "
        "additive relation (total = Σ composantes in the QPV) would reveal another. tour = the audit round that "
        "withheld it (0 for the cells: the final list). Sources: intermediate.int_secret_cellules, "
        "intermediate.int_secret_complementaire, intermediate.int_relations_additives; read by "
        "marts.indicateurs_territoire and marts.indicateurs_qpv. Python: pipelines/domain/secret_editions.py (attack "
        "and audit, exact elimination)."
    ),
)
def int_secret_editions(context: AssetExecutionContext, warehouse: DuckDBWarehouse) -> MaterializeResult:
    with warehouse.connect(spatial=False) as con:
        withheld = withhold_across_editions(con)
        with transaction(con):
            con.execute(
                "create or replace table intermediate.int_secret_editions "
                "(niveau varchar, code_territoire varchar, serie varchar, tour integer)"
            )
            if withheld:
                con.executemany(
                    "insert into intermediate.int_secret_editions values (?, ?, ?, ?)",
                    [list(w) for w in withheld],
                )
    cells = sum(1 for w in withheld if w[0] == "qpv")
    if withheld:
        context.log.info(
            f"secret across editions and relations: {len(withheld) - cells} territory aggregates withheld, "
            f"{cells} QPV cells suppressed"
        )
    return MaterializeResult(
        metadata={
            "rows": len(withheld),
            "qpv_cells": cells,
            "rounds": max((w[3] for w in withheld), default=0),
            "withheld": MetadataValue.json([list(w[:3]) for w in withheld[:50]]),
        }
    )
