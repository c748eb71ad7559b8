"""Assets generated from declarations: one raw asset + one blocking contract check per registered source,
one table asset per SQL file. No sibling asset is written by hand."""
# No `from __future__ import annotations` here: Dagster reads the resource and context type hints at runtime.

import duckdb
from dagster import (
    AssetCheckExecutionContext,
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

from pipelines import settings
from pipelines.checks import rule_counts
from pipelines.checks.data_docs import validation_record
from pipelines.checks.holdback import HeldBack, failing_editions, keep_published_rows, load_holding_back
from pipelines.checks.integrity import check_integrity
from pipelines.checks.quarantine import incoming_names, quarantine_and_swap, relation_kind
from pipelines.checks.validation import (
    FRAME_MAX_ROWS,
    check_query,
    recall,
    remember,
    rows_fingerprint,
    uses_spatial,
    validate_relation,
)
from pipelines.contracts.registry import Source
from pipelines.paths import SQL_DIR
from pipelines.resources import DataDocsOutput, DuckDBWarehouse, SourceClient
from pipelines.sources.loaders import LoadReport, create_empty_table, get_loader
from pipelines.sources.parsing import drift_error
from pipelines.warehouse.connection import transaction
from pipelines.warehouse.models import SqlModel
from pipelines.warehouse.publication import discover_imported, merge_imported, record_files


def _published_rows(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """Rows of raw.<name> in the build (a copy of the published warehouse): 0 when the table is not there."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = ?", [name]
    ).fetchone()[0]
    if not exists:
        return 0
    try:
        return con.execute(f'select count(*) from raw."{name}"').fetchone()[0]  # noqa: S608 - a source name
    except duckdb.Error:
        return 0


class NoInputFilesError(FileNotFoundError):
    pass


def raw_asset(source: Source) -> AssetsDefinition:
    contract = source.load_contract()
    key = AssetKey(["raw", source.name])
    load = get_loader(source.loader)
    spatial = uses_spatial(source, contract)

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
        # the files of the data folder, and those `qpv terrain import` kept beside the warehouse (an imported
        # file replaces the data folder's file of the same name)
        files = merge_imported(source_client.files(source), discover_imported(source, warehouse.path))
        if not files and source.required:
            raise NoInputFilesError(
                f"{source_client.root}/{source.folder} : aucun fichier ne correspond à {source.file_pattern} "
                f"pour {source.name}"
            )
        strict = source_client.strict
        incoming, quarantine_incoming = incoming_names(source.name)
        held: list[HeldBack] = []
        with warehouse.connect(spatial=spatial) as con:
            report = None
            if files and strict:
                report = load(source, files, con, incoming)
                _refuse_drift(contract, report)
            elif files:
                # a file the loader refuses is held back alone (pipelines/checks/holdback.py)
                report, files, held = load_holding_back(load, source, files, con, incoming)
            if report is None:
                if not held:
                    published = _published_rows(con, source.name)
                    if published and not settings.removal_allowed():
                        # a folder emptied or renamed by mistake must not wipe a published source
                        raise NoInputFilesError(
                            f"{source_client.root}/{source.folder} : aucun fichier pour {source.name} alors que "
                            f"l'entrepôt en publie {published} lignes ; rien n'est retiré sans --allow-removal"
                        )
                    context.log.warning(
                        f"{source.name}: no file in {source.folder}/ of the data folder; empty table"
                    )
                report = LoadReport(rows=create_empty_table(con, incoming, contract))
            # Rows violating a droppable rule (onFail: quarantine) leave the incoming table for the quarantine
            # table, evaluated in SQL; both are published together at the end of the block.
            with quarantine_and_swap(
                con, contract, source.name, context.run_id, report.counted
            ) as quarantined:
                if (
                    not strict
                    and files
                    and relation_kind(con, incoming) == "table"
                    and report.rows <= FRAME_MAX_ROWS
                ):
                    # an edition whose rows break a blocking contract rule is held back too (its check would
                    # stop the whole run); checked again by raw/<name>:contrat on what is published
                    checked = check_query(source.name, contract, incoming)
                    rows_loaded = rows_fingerprint(con, checked)

                    def keep(report, frame):
                        remember(context.run_id, source.name, rows_loaded, report, frame)

                    failing = failing_editions(con, checked, contract, keep)
                    for edition, reason in failing.items():
                        held += [
                            HeldBack(f.relative, f.millesime, reason, dataset=source.name)
                            for f in files
                            if f.millesime == edition
                        ]
                    files = [f for f in files if f.millesime not in failing]
                    if failing and quarantined.rules:
                        con.execute(
                            f"delete from {quarantine_incoming} where millesime in ({', '.join(map(str, failing))})"  # noqa: S608
                        )
                rows = report.rows - quarantined.rows_quarantined
                if held:
                    keep_published_rows(con, source.name, incoming, held, by_file=source.many_files)
                    # the rows published, held-back files replaced by their last published version
                    [(rows,)] = con.execute(f"select count(*) from {incoming}").fetchall()  # noqa: S608
            # the contract check's counts, when the load counted them over the view now published (and no row
            # left it for the quarantine); else only the source's old counts are removed
            rule_counts.record(
                con, source.name, None if quarantined.rows_quarantined or held else report.counted
            )
            # the raw files behind the table (meta.fichiers, replaced per source), published with the warehouse
            record_files(con, source.name, files, context.run_id)
        if quarantined.rules:
            log = context.log.warning if quarantined.rows_quarantined else context.log.info
            log(quarantined.one_line())
        for name, columns in report.undeclared.items():
            context.log.warning(f"{name}: columns not described by the contract (not loaded): {columns}")
        for name, notes in (report.notes.get("columns") or {}).items():
            if notes.get("absent"):
                context.log.info(
                    f"{name}: contract columns absent from this edition (NULL): {notes['absent']}"
                )
        for item in held:
            context.log.warning(f"{source.name}: held back {item.file}: {item.reason.splitlines()[0]}")
        return MaterializeResult(
            metadata={
                "rows": rows,
                "rows_read": report.rows,
                "held_back": MetadataValue.json([item.to_metadata() for item in held]),
                **{
                    k: MetadataValue.json(v) if isinstance(v, (list, dict)) else v
                    for k, v in quarantined.to_metadata().items()
                },
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


def _load_facts(context: AssetCheckExecutionContext, source: Source) -> dict:
    """What the raw asset's last materialization said of its files (undeclared and absent columns, held-back
    files), for the Data Docs; {} when it cannot be read."""
    try:
        event = context.instance.get_latest_materialization_event(AssetKey(["raw", source.name]))
        metadata = event.asset_materialization.metadata if event is not None else {}
    except Exception:  # noqa: BLE001 - the Data Docs never fail a check
        return {}
    facts = {k: getattr(v, "value", v) for k, v in metadata.items()}
    return {k: facts[k] for k in ("undeclared_columns", "columns", "held_back") if k in facts}


def _refuse_drift(contract, report: LoadReport) -> None:
    """`--strict`: a file with columns its contract does not know stops the run when the contract says
    `unknownColumns: reject` (the old, frozen-series policy)."""
    if contract.unknown_columns != "reject":
        return
    for name, unknown in report.undeclared.items():
        absent = ((report.notes.get("columns") or {}).get(name) or {}).get("absent", [])
        raise drift_error(contract, name, unknown, absent)


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
    def _check(
        context: AssetCheckExecutionContext, warehouse: DuckDBWarehouse, data_docs: DataDocsOutput
    ) -> AssetCheckResult:
        with warehouse.connect(read_only=True, spatial=uses_spatial(source, contract)) as con:
            # large tables (SIRENE): rules counted in DuckDB, GX on a bounded sample (pipelines/checks/validation.py);
            # over a raw view, the counts its load took in the same scan, when they are still its own
            query = check_query(source.name, contract)
            # the raw asset's validation of the same rows in this run, if it made one (pipelines/checks/holdback.py)
            known = None
            if not uses_spatial(source, contract):
                known = recall(context.run.run_id, source.name, lambda: rows_fingerprint(con, query))
            if known is not None:
                report, frame = known
            else:
                counts = rule_counts.lookup(con, source.name, contract)
                report, frame = validate_relation(con, query, contract, counts=counts)
        metadata = {
            k: MetadataValue.json(v) if isinstance(v, list) else v for k, v in report.to_metadata().items()
        }
        # The Data Docs show this result too, failed or not (a failing run still publishes them). A rendering
        # problem is logged, never turned into a data failure.
        try:
            index = data_docs.publish(
                [
                    validation_record(
                        source.name,
                        source.title,
                        report,
                        frame,
                        context.run.run_id,
                        _load_facts(context, source),
                    )
                ]
            )
            metadata["data_docs"] = MetadataValue.path(str(index))
        except Exception as exc:  # noqa: BLE001
            context.log.warning(f"Data Docs not published for {source.name}: {exc!r}")
        # Errors block everything downstream; warnings (known, repaired defects) are shown but do not block.
        return AssetCheckResult(
            passed=not report.failures,
            severity=AssetCheckSeverity.ERROR if report.errors else AssetCheckSeverity.WARN,
            description=report.summary(),
            metadata=metadata,
        )

    return _check


def integrity_check(source: Source):
    """Blocking check of the contract's cross-table and cross-column SQL rules (references, sums), run after
    the raw tables it reads; None when the contract declares none."""
    contract = source.load_contract()
    if not contract.references and not contract.sum_rules:
        return None
    referenced = sorted({ref.dataset for ref in contract.references} - {source.name})

    @asset_check(
        asset=AssetKey(["raw", source.name]),
        name="integrite",
        blocking=True,
        additional_deps=[AssetKey(["raw", name]) for name in referenced],
        description=(
            f"Referential integrity and sum rules of data_contracts/{source.contract}, evaluated in DuckDB "
            f"(pipelines/checks/integrity.py); references to {', '.join(referenced) or 'none'}. Blocking for rules "
            "of severity error."
        ),
    )
    def _check(warehouse: DuckDBWarehouse) -> AssetCheckResult:
        with warehouse.connect(read_only=True, spatial=False) as con:
            report = check_integrity(con, contract)
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


def materialize(con: duckdb.DuckDBPyConnection, model: SqlModel) -> None:
    """`create or replace` the model as a table or a view (`model.materialized`), in one transaction; an object
    of the other kind under that name (a warehouse built before the model changed kind) is dropped first."""
    # identifiers come from file names under sql/, never from user input
    name = f"{model.schema}.{model.name}"
    other = "view" if model.materialized == "table" else "table"
    exists = relation_kind(con, name) == other
    with transaction(con):
        if exists:
            con.execute(f"drop {other} {name}")
        con.execute(f"create or replace {model.materialized} {name} as {model.text}")  # noqa: S608


def model_report(con: duckdb.DuckDBPyConnection, model: SqlModel) -> list[dict] | None:
    """What the run report says of a model: the rows of `sql/reports/<schema>.<name>.sql` (a SELECT over the table
    just built, e.g. the codes a mart could not match), as dicts; None when the model has no such file."""
    path = SQL_DIR / "reports" / f"{model.schema}.{model.name}.sql"
    if not path.is_file():
        return None
    cursor = con.execute(path.read_text(encoding="utf-8"))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def sql_asset(model: SqlModel) -> AssetsDefinition:
    @asset(
        key=AssetKey([model.schema, model.name]),
        deps=[AssetKey(list(ref)) for ref in model.references()],
        group_name=model.schema,
        kinds={"duckdb", "sql"},
        description=f"{model.description}\n\nSQL: `sql/{model.schema}/{model.name}.sql`",
    )
    def _table(warehouse: DuckDBWarehouse) -> MaterializeResult:
        with warehouse.connect(spatial=model.needs_spatial) as con:
            materialize(con, model)
            rows = con.execute(f"select count(*) from {model.schema}.{model.name}").fetchone()[0]  # noqa: S608
            columns = [r[0] for r in con.execute(f"describe {model.schema}.{model.name}").fetchall()]
            metadata = {"rows": rows, "columns": MetadataValue.json(columns)}
            report = model_report(con, model)
            if report is not None:
                metadata["rapport"] = MetadataValue.json(report)
        return MaterializeResult(metadata=metadata)

    return _table
