"""INSEE SIRENE: establishments, legal units and their geolocation."""

from pipelines.registry import Source

SOURCES: list[Source] = []
