"""The folder layout of a warehouse: `<dir>/.builds/` (runs' builds), `<dir>/versions/` (published versions),
`<dir>/reports/` (run reports), beside the published file (pipelines/warehouse/publication.py)."""

from __future__ import annotations

from pathlib import Path

BUILDS = ".builds"
VERSIONS = "versions"
REPORTS = "reports"
IMPORTS = "imports"


def build_path_for(published: str | Path, run_id: str) -> Path:
    published = Path(published)
    return published.parent / BUILDS / f"{published.stem}-{run_id}.duckdb"


def versions_dir(published: str | Path) -> Path:
    return Path(published).parent / VERSIONS


def reports_dir(published: str | Path) -> Path:
    return Path(published).parent / REPORTS


def imports_dir(published: str | Path) -> Path:
    """Where `qpv terrain import` keeps the files it imported into this warehouse, laid out like the data folder
    (`<dir>/imports/<stem>/terrain/…`): every run reads them besides the data folder."""
    published = Path(published)
    return published.parent / IMPORTS / published.stem


def discover_imported(source, published: str | Path) -> list:
    """The source's files kept by imports into the warehouse `published` (none for most sources)."""
    from pipelines.sources.parsing import discover_files

    root = imports_dir(published)
    return discover_files(source, root) if (root / source.folder).is_dir() else []


def merge_imported(files: list, imported: list) -> list:
    """The data folder's files plus the imported ones; an imported file replaces the one of the same name."""
    by_name = {f.relative: f for f in files} | {f.relative: f for f in imported}
    return sorted(by_name.values(), key=lambda f: (f.millesime, f.relative))
