"""What `qpv` prints: standard output for results (never wrapped: commands are copied from it), standard error
for progress and errors. Errors for people are one line, in French, without module path or traceback."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.text import Text

out = Console(soft_wrap=True)  # commands printed for copy-paste must not be wrapped
err = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 1) -> None:
    err.print(Text("Erreur : ", style="bold red") + Text(message), highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def known_errors() -> tuple[type[BaseException], ...]:
    import duckdb

    from pipelines.contracts.model import ContractError
    from pipelines.runner import PipelineError
    from pipelines.sources.live import LiveSourceError
    from pipelines.sources.parsing import InputError
    from pipelines.warehouse.connection import WarehouseError

    return (PipelineError, WarehouseError, InputError, ContractError, LiveSourceError, duckdb.Error, OSError)


def guard(func, *args):
    try:
        return func(*args)
    except known_errors() as exc:
        fail(str(exc))
