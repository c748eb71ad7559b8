"""INSEE: Code officiel géographique, EPCI composition, Filosofi by IRIS, QPV perimeters (published by ANCT)."""

from pipelines.registry import Source

SOURCES: list[Source] = []
