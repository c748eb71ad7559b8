"""CNAF: allocataires by IRIS and commune."""

from pipelines.registry import Source

SOURCES: list[Source] = []
