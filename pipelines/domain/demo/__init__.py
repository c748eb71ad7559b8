"""Synthetic demo dataset in the producers' file layouts (see `generator.py`)."""

from pipelines.domain.demo.generator import generate_demo_data

__all__ = ["generate_demo_data"]
