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

from pipelines.loaders import LoadReport, create_empty_table, get_loader
from pipelines.registry import Source
from pipelines.resources import DuckDBWarehouse, SourceClient
from pipelines.sql import SqlModel
from pipelines.validation import validate_frame


class NoInputFilesError(FileNotFoundError):
    pass


def publish_raw_table(con: duckdb.DuckDBPyConnection, name: str, incoming: str) -> None:
    """Swap `incoming` in as `raw.<name>` in one transaction: readers see the old table or the new one."""
    con.execute("begin transaction")
    try:
        con.execute(f"drop table if exists raw.{name}")
        con.execute(f"alter table {incoming} rename to {name}")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def raw_asset(source: Source) -> AssetsDefinition:
    contract = source.load_contract()
    key = AssetKey(["raw", source.name])
    load = get_loader(source.loader)

    @asset(
        key=key,
        group_name=source.producer,
        kinds={"duckdb", source.format},
        description=(
            f"{source.title}\n\nSource: {contract.producer} — {source.official_url}\n"
            f"Files: `{source.folder}/{source.file_pattern}`, every edition found. Grain: one row per record of "
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
        context: AssetExecutionContext, source_client: SourceClient, warehouse: DuckDBWarehouse
    ) -> MaterializeResult:
        files = source_client.files(source)
        if not files and source.required:
            raise NoInputFilesError(
                f"{source_client.root}/{source.folder}: no file matches {source.file_pattern} for {source.name}"
            )
        incoming = f"raw.{source.name}__incoming"
        with warehouse.connect() as con:
            if files:
                report = load(source, files, con, incoming)
            else:
                context.log.warning(
                    f"{source.name}: no file in {source.folder}/ of the data folder; empty table"
                )
                report = LoadReport(rows=create_empty_table(con, incoming, contract))
            publish_raw_table(con, source.name, incoming)
        for name, columns in report.undeclared.items():
            context.log.warning(f"{name}: columns not described by the contract (not loaded): {columns}")
        return MaterializeResult(
            metadata={
                "rows": report.rows,
                "editions": MetadataValue.json(sorted({f.millesime for f in files})),
                "files": MetadataValue.json(
                    [{"file": f.relative, "millesime": f.millesime, "sha256": f.sha256} for f in files]
                ),
                "undeclared_columns": MetadataValue.json(report.undeclared),
                **{
                    k: MetadataValue.json(v) if isinstance(v, (list, dict)) else v
                    for k, v in report.notes.items()
                },
            }
        )

    return _raw


def check_query(name: str, contract) -> str:
    """What the contract check reads: the raw table, geometries summarised as their type ('INVALID' if not valid)."""
    columns = ["millesime", "_fichier", "_sha256", "_ligne"]
    for col in contract.columns:
        if col.logical_type == "geometry":
            columns.append(
                f"case when {col.name} is null then null when ST_IsValid({col.name}) "
                f"then cast(ST_GeometryType({col.name}) as varchar) else 'INVALID' end as {col.name}"
            )
        else:
            columns.append(col.name)
    return f"select {', '.join(columns)} from raw.{name}"  # noqa: S608


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
            frame = con.sql(check_query(source.name, contract)).df()
        report = validate_frame(frame, contract)
        # Errors block everything downstream; warnings (known, repaired defects) are shown but do not block.
        return AssetCheckResult(
            passed=not report.failures,
            severity=AssetCheckSeverity.ERROR if report.errors else AssetCheckSeverity.WARN,
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
