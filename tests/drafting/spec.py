"""How a finished document must show its inputs, written from the spec rather than the code,
so a formatting bug in the code cannot hide in the tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from drafting.doctypes import Field

SYMBOLS = {"GBP": "£", "USD": "US$", "EUR": "€"}


def as_written(field: Field, value: Any, inputs: dict[str, Any]) -> str:
    if field.name == "currency":
        return SYMBOLS[value]
    if field.type == "date":
        day = date.fromisoformat(value)
        return f"{day.day} {day:%B %Y}"
    if field.type == "money":
        return f"{SYMBOLS[inputs['currency']]}{Decimal(str(value)):,.2f}"
    return str(value)
