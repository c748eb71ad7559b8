"""Identifiers with the producers' check digit (SIREN, SIRET: Luhn)."""

from __future__ import annotations


def luhn_valid(digits: str) -> bool:
    """Luhn checksum, as INSEE uses for SIREN (9 digits) and SIRET (14 digits)."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def luhn_complete(payload: str) -> str:
    """`payload` followed by the digit that makes it Luhn-valid."""
    return next(payload + d for d in "0123456789" if luhn_valid(payload + d))


def commune_siren(commune_code: str) -> str:
    """Fictional but well-formed SIREN of a commune: 21 + INSEE code + 0 + check digit."""
    return luhn_complete("21" + commune_code + "0")
