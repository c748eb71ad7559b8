"""DuckDB's memory is capped on every warehouse connection (issue #9: a 10 M-establishment run reached 6 GB of RSS
under DuckDB's default of 80 % of the RAM); `QPV_DUCKDB_MEMORY_LIMIT` changes the cap."""

from __future__ import annotations

import pytest

from pipelines.warehouse.connection import DEFAULT_MEMORY_LIMIT, MEMORY_ENV, WarehouseError, connect


def limit(monkeypatch, value: str | None) -> str:
    if value is None:
        monkeypatch.delenv(MEMORY_ENV, raising=False)
    else:
        monkeypatch.setenv(MEMORY_ENV, value)
    con = connect(None, spatial=False)
    try:
        return con.execute("select current_setting('memory_limit')").fetchone()[0]
    finally:
        con.close()


def test_default_cap_and_override(monkeypatch):
    assert DEFAULT_MEMORY_LIMIT == "3GB"
    assert limit(monkeypatch, None) == "2.7 GiB"  # DuckDB prints 3 GB (10^9) in GiB
    assert limit(monkeypatch, "2GB") == "1.8 GiB"
    assert limit(monkeypatch, "2500 MiB") == "2.4 GiB"
    uncapped = limit(monkeypatch, "duckdb")
    assert uncapped not in ("1.8 GiB", "2.7 GiB")


@pytest.mark.parametrize("value", ["beaucoup", "3", "3GB; drop table x", "-1GB"])
def test_a_bad_value_is_one_clear_error(monkeypatch, value):
    with pytest.raises(WarehouseError) as info:
        limit(monkeypatch, value)
    assert MEMORY_ENV in str(info.value) and "memory size" in str(info.value)
