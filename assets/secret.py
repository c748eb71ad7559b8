"""The audit of the secret across editions (pipelines/domain/secret_editions.py) as an asset between the secondary
suppression and the marts: `intermediate.int_secret_editions` lists the territory aggregates withheld so that no
suppressed QPV value can be recovered by combining the territory sums of several editions."""
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
    ],
    group_name="intermediate",
    kinds={"duckdb", "python"},
    description=(
        "Grain: one row per territory aggregate (niveau, code_territoire, serie) withheld because, combined with the "
        "sums of other editions, it would let a suppressed QPV value be recovered by an attacker who guesses which "
        "small counts did not change (the strongest: the true equalities). tour = the audit round that withheld it. "
        "Sources: intermediate.int_secret_cellules, intermediate.int_secret_complementaire; read by "
        "marts.indicateurs_territoire. Python: pipelines/domain/secret_editions.py (attack and audit, exact elimination)."
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
    if withheld:
        context.log.info(f"secret across editions: {len(withheld)} territory aggregates withheld")
    return MaterializeResult(
        metadata={
            "rows": len(withheld),
            "rounds": max((w[3] for w in withheld), default=0),
            "withheld": MetadataValue.json([list(w[:3]) for w in withheld[:50]]),
        }
    )
