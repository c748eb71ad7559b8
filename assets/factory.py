"""Assets generated from declarations: one raw asset + one blocking contract check per registered source,
one table asset per SQL file. No sibling asset is written by hand."""
# No `from __future__ import annotations` here: Dagster reads the resource and context type hints at runtime.

import duckdb
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from pipelines.parsing import load_source
from pipelines.registry import Source
from pipelines.resources import DuckDBWarehouse, LocalSourceClient
from pipelines.sql import SqlModel
from pipelines.validation import validate_frame


class NoInputFilesError(FileNotFoundError):
    pass


def write_raw_table(con: duckdb.DuckDBPyConnection, table: str, frame) -> None:
    """Replace `raw.<table>` with the frame in one transaction (a failed load leaves the old table)."""
    con.register("incoming_frame", frame.to_arrow())
    try:
        con.execute("begin transaction")
        con.execute(f"create or replace table raw.{table} as select * from incoming_frame")  # noqa: S608
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.unregister("incoming_frame")


def raw_asset(source: Source) -> AssetsDefinition:
    contract = source.load_contract()
    key = AssetKey(["raw", source.name])

    @asset(
        key=key,
        group_name=source.producer,
        kinds={"duckdb", source.format},
        description=(
            f"{source.title}\n\nSource: {contract.producer} — {source.official_url}\n"
            f"Files: `{source.folder}/{source.file_pattern}`, every edition found. Grain: one row per line of "
            f"the producer's file, typed by the contract `data_contracts/{source.contract}`, "
            "with lineage columns millesime, _fichier, _sha256, _ligne."
        ),
        metadata={
            "contract": source.contract,
            "official_url": source.official_url,
            "geographie": source.geographie,
        },
    )
    def _raw(
        context: AssetExecutionContext, source_client: LocalSourceClient, warehouse: DuckDBWarehouse
    ) -> MaterializeResult:
        files = source_client.files(source)
        if not files:
            raise NoInputFilesError(
                f"{source_client.root}/{source.folder}: no file matches {source.file_pattern} for {source.name}"
            )
        frame, undeclared = load_source(source, files)
        for name, columns in undeclared.items():
            context.log.warning(f"{name}: columns not described by the contract (not loaded): {columns}")
        with warehouse.connect() as con:
            write_raw_table(con, source.name, frame)
        return MaterializeResult(
            metadata={
                "rows": len(frame),
                "editions": MetadataValue.json([f.millesime for f in files]),
                "files": MetadataValue.json(
                    [{"file": f.relative, "millesime": f.millesime, "sha256": f.sha256} for f in files]
                ),
                "undeclared_columns": MetadataValue.json(undeclared),
            }
        )

    return _raw


def contract_check(source: Source):
    contract = source.load_contract()

    @asset_check(
        asset=AssetKey(["raw", source.name]),
        name="contrat",
        blocking=True,
        description=(
            f"Great Expectations suite generated from data_contracts/{source.contract} "
            f"({contract.name} {contract.version}). Blocking: nothing downstream runs if it fails."
        ),
    )
    def _check(warehouse: DuckDBWarehouse) -> AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            frame = con.sql(f"select * from raw.{source.name}").df()  # noqa: S608
        report = validate_frame(frame, contract)
        return AssetCheckResult(
            passed=report.passed,
            severity=AssetCheckSeverity.ERROR,
            description=report.summary(),
            metadata={
                k: MetadataValue.json(v) if isinstance(v, list) else v
                for k, v in report.to_metadata().items()
            },
        )

    return _check


def sql_asset(model: SqlModel) -> AssetsDefinition:
    @asset(
        key=AssetKey([model.schema, model.name]),
        deps=[AssetKey(list(ref)) for ref in model.references()],
        group_name=model.schema,
        kinds={"duckdb", "sql"},
        description=f"{model.description}\n\nSQL: `sql/{model.schema}/{model.name}.sql`",
    )
    def _table(warehouse: DuckDBWarehouse) -> MaterializeResult:
        with warehouse.connect() as con:
            # Identifiers come from file names under sql/, never from user input.
            con.execute(f"create or replace table {model.schema}.{model.name} as {model.text}")  # noqa: S608
            rows = con.execute(f"select count(*) from {model.schema}.{model.name}").fetchone()[0]  # noqa: S608
            columns = [r[0] for r in con.execute(f"describe {model.schema}.{model.name}").fetchall()]
        return MaterializeResult(metadata={"rows": rows, "columns": MetadataValue.json(columns)})

    return _table
