"""What a client may send: the one base model of every request body and query, and the field types of what
is not free text (free text — names, addresses, comments — is :mod:`chalicelib.platform.text`). Pure domain code.

Every request model derives from :class:`RequestModel`: unknown fields are refused (``FIELD_UNKNOWN``) and
validation is **strict** (pydantic strict mode), so nothing is guessed from a value of another JSON type:

==================  ==========================================================================================
``bool``            JSON ``true``/``false`` only (``0``, ``"yes"``, ``"true"`` are refused: ``FIELD_BOOL_TYPE``)
``int``             a JSON integer only (``1.0``, ``"1"``, ``true`` are refused: ``FIELD_INT_TYPE``)
``str``             a JSON string only
:data:`IsoDate`     a string ``YYYY-MM-DD`` of a real calendar day (``0``, ``"20260301"``,
                    ``"2026-03-01T00:00:00"`` are refused: ``DATE_FORMAT``)
:data:`IsoDateTime` an RFC 3339 date and time with its UTC offset (``DATETIME_FORMAT``)
:data:`Uuid`        the canonical ``8-4-4-4-12`` hex form (``UUID_FORMAT``)
money               :data:`Money`, :data:`NetMoney`, :data:`PositiveMoney` (below)
quantities          :func:`quantity` (land in mu, floor area in m²)
==================  ==========================================================================================

A query string carries text only: the route layer (``chalicelib.platform.http.routing``) reads an ``int`` parameter
from decimal digits (an optional leading ``-``) and a ``bool`` one from exactly ``true`` or ``false``, and
hands anything else to the model as the text it is, which strict validation then refuses.

**Money** (CNY, fen precision) is a JSON string or a JSON number written as a plain decimal:
``^-?(0|[1-9][0-9]{0,14})(\\.[0-9]{1,2})?$`` — no exponent (``1e5``), no ``NaN``/``Infinity``, no ``+``,
spaces, separators, full-width digits or leading zeros, at most 15 integer digits and 2 decimals. Refused,
never rounded, with the codes the roster import gives for the same mistakes in a spreadsheet cell
(``chalicelib.customers.domain.roster``): ``AMOUNT_FORMAT`` (not a plain decimal, or 10^15 CNY or more),
``AMOUNT_PRECISION`` (more than two decimals), ``AMOUNT_NEGATIVE`` (a minus sign where the field cannot be
negative, ``-0`` included), ``AMOUNT_ZERO`` (zero where the amount must be positive). :func:`check_amount` is
the part of the rule both read a number with. The request body is parsed with every JSON number with a
fraction or an exponent as a :class:`~decimal.Decimal` (``chalicelib.platform.http.routing``), so the digits the client
wrote are the digits checked; nothing passes through binary floating point.

Identifiers get patterns (:data:`Id`, :data:`VillageCode`, :data:`Code`, :data:`ObjectKey`); a string whose
content a named parser checks after the model (a page cursor, a parameter document) says so with
:class:`Rule` ``("parsed", by=...)``. ``tests/unit/test_request_models.py`` walks every request model of every
route and fails on a field that none of these govern.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError


class RequestModel(BaseModel):
    """Base of every request body and query model (and of every model nested in one): unknown fields refused,
    strict types (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", strict=True)


@dataclass(frozen=True)
class Rule:
    """Field metadata naming the input rule that governs a field (read by the request-model walker test):
    ``text`` (:mod:`chalicelib.platform.text`), ``date``, ``datetime``, ``uuid``, ``money``, ``quantity``,
    ``coordinate`` (:mod:`chalicelib.platform.geo`), or
    ``parsed`` with ``by`` naming the function that checks the content after the model and refuses it with
    its own codes."""

    name: str
    by: str | None = None


# ------------------------------------------------------------------------------------------ identifiers

#: An id the service or a client made: uuids, ``m-…``, ``DD…``, ``JL-220122``, product codes, user ids.
Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
#: A lower-snake code from a parameter document (a product's purposes and repayment methods).
Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
#: An S3 object key the service handed out (``inspections/<task_id>/<hex>.jpg``); which keys belong to what is
#: checked by the service.
ObjectKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9._/-]{1,256}$")]

_VILLAGE_CODE = re.compile(r"[0-9]{12}")


def _village_code(value: Any) -> Any:
    if isinstance(value, str) and not _VILLAGE_CODE.fullmatch(value):
        raise PydanticCustomError("VILLAGE_CODE_FORMAT", "村代码应为12位数字 (a village code is 12 digits)")
    return value


#: The 12-digit statistical division code of a village (行政区划代码); whether it exists is
#: ``chalicelib.reference.divisions``' question (``VILLAGE_CODE_UNKNOWN``). Same code as there for the format.
VillageCode = Annotated[str, Field(pattern=r"^[0-9]{12}$", description="12-digit statistical division code of the "
                                                                      "village (行政区划代码)"),
                        BeforeValidator(_village_code)]


# ------------------------------------------------------------------------------------------ dates, times, uuids

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _iso_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("DATE_FORMAT", "日期格式应为 YYYY-MM-DD (a date is a string YYYY-MM-DD of a real day, "
                                             "e.g. \"2026-03-01\")")


def _iso_datetime(value: Any) -> datetime:
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return value
    if isinstance(value, str) and _DATETIME.fullmatch(value):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    raise PydanticCustomError("DATETIME_FORMAT", "a date and time is RFC 3339 with its UTC offset, e.g. "
                                                 "\"2026-03-01T09:30:00+08:00\" or \"2026-03-01T01:30:00Z\"")


def _uuid(value: Any) -> UUID:
    if isinstance(value, UUID):
        return value
    if isinstance(value, str) and _UUID.fullmatch(value):
        return UUID(value)
    raise PydanticCustomError("UUID_FORMAT", "a UUID is 32 hex digits as 8-4-4-4-12, "
                                             "e.g. \"0b5e3f4c-8d2a-4c1e-9f7a-2d6c4b8e1a03\"")


#: A calendar date: ``YYYY-MM-DD`` (JSON) or a :class:`~datetime.date` (not a datetime); ``DATE_FORMAT``.
IsoDate = Annotated[date, BeforeValidator(_iso_date), Rule("date")]
#: An instant: RFC 3339 with seconds and a UTC offset, e.g. ``2026-03-01T09:30:00+08:00``; ``DATETIME_FORMAT``.
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime), Rule("datetime")]
#: A UUID in its canonical text form (either case); ``UUID_FORMAT``.
Uuid = Annotated[UUID, BeforeValidator(_uuid), Rule("uuid")]


# ------------------------------------------------------------------------------------------ decimals: money, quantities

CENT = Decimal("0.01")
#: Integer digits of the largest amount: 10^15 CNY and more is ``AMOUNT_FORMAT`` (as in the roster import).
AMOUNT_INTEGER_DIGITS = 15
Sign = Literal["any", "non_negative", "positive"]

_DECIMAL_TEXT = re.compile(r"(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?")


class AmountRefused(ValueError):
    """An amount the money rule refuses: ``code`` (``AMOUNT_*``) and a bilingual ``message``."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


_AMOUNT_MESSAGES = {
    "AMOUNT_FORMAT": "金额应写成普通十进制数，如 1234.50，不接受科学计数法、正号、空格或分隔符 (an amount is a plain decimal "
                     "number in CNY, e.g. \"1234.50\": no exponent, plus sign, spaces, separators or leading zeros)",
    "too_large": "金额过大 (amount too large)",
    "AMOUNT_PRECISION": "金额最多两位小数（分），不会自动四舍五入 (at most two decimals; amounts are never rounded)",
    "AMOUNT_NEGATIVE": "金额不能为负数 (must not be negative)",
    "AMOUNT_ZERO": "金额须大于零 (must be more than zero)",
}


def _refuse(code: str, key: str | None = None) -> AmountRefused:
    return AmountRefused(code, _AMOUNT_MESSAGES[key or code])


def check_amount(value: Decimal, *, sign: Sign) -> Decimal:
    """The money rule on a number: ``value`` (CNY) → the amount quantised to fen. Refused, never rounded:
    not finite or 10^15 and more (``AMOUNT_FORMAT``), a fraction of a fen (``AMOUNT_PRECISION``: ``0.001`` is
    not ``0.00``), negative unless ``sign="any"`` (``AMOUNT_NEGATIVE``), zero where ``sign="positive"``
    (``AMOUNT_ZERO``). Raises :class:`AmountRefused`. Shared by the API's money types and the roster import."""
    if not value.is_finite():
        raise _refuse("AMOUNT_FORMAT")
    if value and value.adjusted() >= AMOUNT_INTEGER_DIGITS:
        raise _refuse("AMOUNT_FORMAT", "too_large")
    if value != value.quantize(CENT):
        raise _refuse("AMOUNT_PRECISION")
    if value < 0 and sign != "any":
        raise _refuse("AMOUNT_NEGATIVE")
    if value == 0:
        if sign == "positive":
            raise _refuse("AMOUNT_ZERO")
        return Decimal("0.00")  # never -0.00
    return value.quantize(CENT)


def _decimal_text(value: Any) -> str | None:
    """The text of a JSON number or string as the client wrote it (a body's fractional numbers arrive as
    Decimal); ``None`` for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal, str)):
        return str(value)
    if isinstance(value, float):  # a Python caller's float: its shortest repr is the number meant
        return repr(value)
    return None


def read_amount(value: Any, *, sign: Sign) -> Decimal:
    """A JSON amount (string or number, see the module docstring) → Decimal quantised to fen. Raises
    :class:`AmountRefused`."""
    text = _decimal_text(value)
    match = _DECIMAL_TEXT.fullmatch(text) if text is not None else None
    if match is None:
        raise _refuse("AMOUNT_FORMAT")
    minus, whole, fraction = match.groups()
    if len(whole) > AMOUNT_INTEGER_DIGITS:
        raise _refuse("AMOUNT_FORMAT", "too_large")
    if fraction is not None and len(fraction) > 2:
        raise _refuse("AMOUNT_PRECISION")
    if minus and sign != "any":
        raise _refuse("AMOUNT_NEGATIVE")
    return check_amount(Decimal(match.group(0)), sign=sign)


def _amount_validator(sign: Sign) -> Callable[[Any], Decimal]:
    def validate(value: Any) -> Decimal:
        try:
            return read_amount(value, sign=sign)
        except AmountRefused as exc:
            raise PydanticCustomError(exc.code, exc.message) from None

    return validate


_LIMIT = 10 ** AMOUNT_INTEGER_DIGITS
_NON_NEGATIVE_TEXT = r"(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?"
_POSITIVE_TEXT = r"([1-9][0-9]{0,14}(\.[0-9]{1,2})?|0\.(0[1-9]|[1-9][0-9]?))"
_TEXT_PATTERNS: dict[str, str] = {"any": f"^-?{_NON_NEGATIVE_TEXT}$", "non_negative": f"^{_NON_NEGATIVE_TEXT}$",
                                  "positive": f"^{_POSITIVE_TEXT}$"}
_NUMBER_BOUNDS: dict[str, dict[str, int]] = {"any": {"exclusiveMinimum": -_LIMIT}, "non_negative": {"minimum": 0},
                                             "positive": {"exclusiveMinimum": 0}}


def _money(sign: Sign, description: str) -> Any:
    schema = {"anyOf": [{"type": "string", "pattern": _TEXT_PATTERNS[sign]},
                        {"type": "number", **_NUMBER_BOUNDS[sign], "exclusiveMaximum": _LIMIT}],
              "description": description}
    return Annotated[Decimal, BeforeValidator(_amount_validator(sign)), Rule("money"), WithJsonSchema(schema)]


_MONEY_TEXT = ("CNY as a decimal string or number, e.g. \"1234.50\": at most 15 integer digits and 2 decimals, "
               "no exponent")
#: Money that cannot be negative (assets, debts, expenses, revenue): 0 to 999999999999999.99 CNY.
Money = _money("non_negative", _MONEY_TEXT + "; not negative")
#: Money that may be negative (a net income after a bad harvest).
NetMoney = _money("any", _MONEY_TEXT + "; may be negative")
#: Money that must be more than zero (a drawdown, a repayment, an appraised value).
PositiveMoney = _money("positive", _MONEY_TEXT + "; more than zero")


def _read_quantity(value: Any) -> Decimal:
    text = _decimal_text(value)
    match = _DECIMAL_TEXT.fullmatch(text) if text is not None else None
    if match is None or len(match.group(2)) > AMOUNT_INTEGER_DIGITS:
        raise PydanticCustomError("NUMBER_FORMAT", "应为普通十进制数 (a plain decimal number, e.g. \"12.5\": no exponent, "
                                                   "plus sign, spaces, separators or leading zeros)")
    if match.group(3) is not None and len(match.group(3)) > 2:
        raise PydanticCustomError("NUMBER_PRECISION", "最多两位小数 (at most two decimals)")
    if match.group(1):
        raise PydanticCustomError("NUMBER_NEGATIVE", "不能为负数 (must not be negative)")
    return Decimal(match.group(0)).quantize(CENT)


def quantity(*, maximum: int, positive: bool = False, description: str | None = None) -> Any:
    """A non-negative (or, ``positive``, more than zero) quantity such as land in mu or floor area in m²: a JSON
    number or string written as a plain decimal with at most 2 decimals (``NUMBER_FORMAT``, ``NUMBER_PRECISION``,
    ``NUMBER_NEGATIVE`` for a minus sign, ``-0`` included), at most ``maximum`` (``FIELD_LESS_THAN_EQUAL``); zero
    where ``positive`` is ``FIELD_GREATER_THAN``."""
    pattern = _TEXT_PATTERNS["positive" if positive else "non_negative"]
    number = {"type": "number", **({"exclusiveMinimum": 0} if positive else {"minimum": 0}), "maximum": maximum}
    text = f"a decimal number (string or number) with at most 2 decimals, at most {maximum}"
    schema = {"anyOf": [{"type": "string", "pattern": pattern}, number],
              "description": f"{description}; {text}" if description else text}
    bound = Field(gt=0, le=maximum) if positive else Field(ge=0, le=maximum)
    return Annotated[Decimal, BeforeValidator(_read_quantity), bound, Rule("quantity"), WithJsonSchema(schema)]


#: Land in mu (亩; 1 mu = 666.67 m²), 0 to 100000 with 2 decimals.
Mu = quantity(maximum=100000, description="亩 (1 mu = 666.67 m²)")
#: Floor area in square metres, 0 to 100000 with 2 decimals.
SquareMetres = quantity(maximum=100000, description="m²")


def parsed_by(parser: str) -> Rule:
    """Metadata of a field checked after the model by ``parser`` (dotted name), with its own error codes."""
    return Rule("parsed", by=parser)


__all__ = [
    "AMOUNT_INTEGER_DIGITS",
    "CENT",
    "AmountRefused",
    "Code",
    "Id",
    "IsoDate",
    "IsoDateTime",
    "Money",
    "Mu",
    "NetMoney",
    "ObjectKey",
    "PositiveMoney",
    "RequestModel",
    "Rule",
    "SquareMetres",
    "Uuid",
    "VillageCode",
    "check_amount",
    "parsed_by",
    "quantity",
    "read_amount",
]
