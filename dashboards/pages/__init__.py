"""Page modules, discovered: every module here with `ORDER` and `render(ctx) -> list[Page]` is one page family."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def page_modules() -> list[ModuleType]:
    modules = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "render") and hasattr(module, "ORDER"):
            modules.append(module)
    return sorted(modules, key=lambda m: (m.ORDER, m.__name__))
