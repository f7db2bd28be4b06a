"""Request field types shared by the route groups (one definition of what a client may send)."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

_MONEY_TEXT = re.compile(r"(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?")


def _money_input(value: Any) -> Any:
    """Money arrives as a JSON number or a plain decimal string (``"1234.50"``): no exponent, sign, spaces,
    underscores or full-width digits, at most two decimals (fen)."""
    if isinstance(value, bool):
        raise ValueError("money is a decimal amount in CNY, e.g. \"1234.50\"")
    if isinstance(value, str) and not _MONEY_TEXT.fullmatch(value):
        raise ValueError("money is a plain decimal string in CNY with at most two decimals, e.g. \"1234.50\"")
    return value


#: A positive amount of money in CNY, at most 0.01 precision.
PositiveMoney = Annotated[Decimal, BeforeValidator(_money_input),
                          Field(gt=0, max_digits=14, decimal_places=2, description="CNY, e.g. \"1234.50\"")]
