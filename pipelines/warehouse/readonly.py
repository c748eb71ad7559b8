"""Read-only queries of an analyst on the published warehouse (`qpv sql`): nothing typed can change a file.

Four locks, each enough on its own for what it guards:
- the warehouse is opened read-only;
- the text is parsed first and must be exactly one statement of an allowed type (a query: SELECT, WITH, FROM,
  VALUES, DESCRIBE, SHOW, SUMMARIZE, PRAGMA of a table function; or EXPLAIN): COPY, EXPORT, ATTACH, SET, CALL,
  INSTALL/LOAD, INSERT… are refused before anything runs, and so are two statements in one call;
- file and network access are off (`enable_external_access = false`: no read_csv of /etc/passwd, no COPY TO) and
  the configuration is then locked (`lock_configuration = true`): a query cannot lift the memory cap or turn the
  access back on;
- a time limit: the query is interrupted after `timeout` seconds.
"""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.warehouse.connection import WarehouseError, connection

ALLOWED = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})
DEFAULT_TIMEOUT_S = 60.0


class QueryRefused(WarehouseError):
    """A statement `qpv sql` does not run (message in French, one line)."""


def check_statement(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Refuse anything but one read statement (parsed by DuckDB itself, not by a pattern)."""
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as exc:
        raise QueryRefused(f"requête illisible : {str(exc).splitlines()[0]}") from exc
    if not statements:
        raise QueryRefused("requête vide")
    if len(statements) > 1:
        raise QueryRefused(f"une seule requête par appel ({len(statements)} instructions reçues)")
    kind = statements[0].type
    if kind not in ALLOWED:
        name = getattr(kind, "name", str(kind))
        raise QueryRefused(
            f"instruction {name} refusée : qpv sql ne lit que (SELECT, WITH, FROM, DESCRIBE, SHOW, EXPLAIN)"
        )


def lock_session(con: duckdb.DuckDBPyConnection) -> None:
    """No file or network access, then no setting can change for the rest of the session."""
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")


def read_query(warehouse: str | Path, query: str, timeout: float = DEFAULT_TIMEOUT_S) -> pd.DataFrame:
    """The rows of one read statement on `warehouse`, opened read-only, locked, within `timeout` seconds."""
    if timeout <= 0:
        raise QueryRefused(f"--timeout doit être positif (reçu {timeout})")
    with connection(warehouse, read_only=True) as con:
        check_statement(con, query)
        lock_session(con)
        timer = threading.Timer(timeout, con.interrupt)
        timer.start()
        try:
            return con.sql(query).df()
        except duckdb.InterruptException as exc:
            raise QueryRefused(
                f"requête interrompue après {timeout:g} s (--timeout pour l'allonger)"
            ) from exc
        except duckdb.PermissionException as exc:
            raise QueryRefused(
                "accès aux fichiers et au réseau interdit dans qpv sql (lecture de l'entrepôt seulement)"
            ) from exc
        except duckdb.Error as exc:
            raise QueryRefused(f"requête rejetée par DuckDB : {str(exc).splitlines()[0]}") from exc
        finally:
            timer.cancel()
