"""Strict readers of decoded JSON values: each raises the caller's error type, never another.

Configurations and windows arrive as decoded JSON (dict, list, str, int, float, bool, None,
or ``decimal.Decimal`` when the caller decoded with ``parse_float=Decimal``). Numbers become
exact ``Fraction`` values (spec RISK-7): a float is read through its shortest decimal form, so
``0.1`` in the JSON text is exactly 1/10 here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from bluezone.protocol.params import (
    MAX_CONFIG_LIST,
    RISK_MAX_CONFIG_NUMBER,
    RISK_MAX_DECIMAL_PLACES,
)
from bluezone.protocol.risk.errors import RiskError

__all__ = [
    "read_bool",
    "read_decimal",
    "read_int",
    "read_list",
    "read_object",
]


def read_object(
    value: Any,
    field: str,
    error: type[RiskError],
    required: Sequence[str] = (),
    optional: Sequence[str] = (),
) -> Mapping[str, Any]:
    """Return ``value`` as a mapping holding every ``required`` key and no unknown key."""
    if not isinstance(value, Mapping):
        raise error(f"{field}: expected an object, got {type(value).__name__}")
    allowed = set(required) | set(optional)
    for key in value:
        if not isinstance(key, str) or key not in allowed:
            raise error(f"{field}: unknown field {str(key)[:40]!r}")
    for key in required:
        if key not in value:
            raise error(f"{field}: missing field {key!r}")
    return value


def read_list(
    value: Any, field: str, error: type[RiskError], max_length: int = MAX_CONFIG_LIST
) -> Sequence[Any]:
    """Return ``value`` as a list of at most ``max_length`` items."""
    if not isinstance(value, list | tuple):
        raise error(f"{field}: expected a list, got {type(value).__name__}")
    if len(value) > max_length:
        raise error(f"{field}: {len(value)} entries, at most {max_length} allowed")
    return value


def read_bool(value: Any, field: str, error: type[RiskError]) -> bool:
    """Return ``value`` if it is a JSON boolean."""
    if not isinstance(value, bool):
        raise error(f"{field}: expected true or false, got {type(value).__name__}")
    return value


def read_int(value: Any, field: str, error: type[RiskError], low: int, high: int) -> int:
    """Return ``value`` as an integer in ``low..high``; ``3.0`` counts as 3, ``true`` does not."""
    if isinstance(value, bool):
        raise error(f"{field}: expected an integer, got a boolean")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float | Decimal):
        exact = _exact(value, field, error)
        if exact.denominator != 1:
            raise error(f"{field}: expected an integer, got a fraction")
        number = exact.numerator
    else:
        raise error(f"{field}: expected an integer, got {type(value).__name__}")
    if not low <= number <= high:
        raise error(f"{field}: {number} outside {low}..{high}")
    return number


def read_decimal(
    value: Any,
    field: str,
    error: type[RiskError],
    low: Fraction | int = -RISK_MAX_CONFIG_NUMBER,
    high: Fraction | int = RISK_MAX_CONFIG_NUMBER,
) -> Fraction:
    """Return ``value`` as an exact decimal in ``low..high`` with at most 6 fractional digits."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise error(f"{field}: expected a number, got {type(value).__name__}")
    exact = Fraction(value) if isinstance(value, int) else _exact(value, field, error)
    if not low <= exact <= high:
        raise error(f"{field}: {float(exact)} outside {float(low)}..{float(high)}")
    if (exact * 10**RISK_MAX_DECIMAL_PLACES).denominator != 1:
        raise error(f"{field}: more than {RISK_MAX_DECIMAL_PLACES} decimal places")
    return exact


def _exact(value: float | Decimal, field: str, error: type[RiskError]) -> Fraction:
    """Convert a float (through its shortest decimal form) or a Decimal to a Fraction."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise error(f"{field}: not a finite number")
        if abs(value) > 2 * RISK_MAX_CONFIG_NUMBER:
            raise error(f"{field}: magnitude too large")
        return Fraction(Decimal(repr(value)))
    try:
        if not value.is_finite():
            raise error(f"{field}: not a finite number")
        if value.is_zero():
            return Fraction(0)
        if value.adjusted() > 12 or value.adjusted() < -12:
            raise error(f"{field}: magnitude out of range")
        return Fraction(value)
    except (InvalidOperation, ValueError, OverflowError) as exc:
        raise error(f"{field}: not a number") from exc
