"""The free-text field types of the customers context's inputs: ``chalicelib.platform.text``'s rule (NFC, control
and invisible characters refused: ``TEXT_INVISIBLE_CHARACTER``) with each field's length limits.

pydantic sees the constrained types; mypy sees ``str`` (a call such as ``text(max_length=32)`` is no type
annotation for it), which is what the fields hold once validated.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from chalicelib.platform.text import text

if TYPE_CHECKING:
    Text20: TypeAlias = str
    Text32: TypeAlias = str
    Text40: TypeAlias = str
    Text200: TypeAlias = str
    Word20: TypeAlias = str
    Word40: TypeAlias = str
    Word100: TypeAlias = str
    Name100: TypeAlias = str
else:
    #: up to 20 / 32 / 40 / 200 characters (possibly empty)
    Text20 = text(max_length=20)
    Text32 = text(max_length=32)
    Text40 = text(max_length=40)
    Text200 = text(max_length=200)
    #: 1 to 20 / 40 / 100 characters (a crop, a business)
    Word20 = text(min_length=1, max_length=20)
    Word40 = text(min_length=1, max_length=40)
    Word100 = text(min_length=1, max_length=100)
    #: 2 to 100 characters (an entity's name)
    Name100 = text(min_length=2, max_length=100)
