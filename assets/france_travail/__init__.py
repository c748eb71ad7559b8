"""France Travail: demandeurs d'emploi (DEFM) by QPV."""

from pipelines.registry import Source

SOURCES: list[Source] = []
