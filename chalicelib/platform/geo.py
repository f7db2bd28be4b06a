"""A point on the earth as every API model carries it: :class:`GeoPoint` (WGS 84 decimal degrees).

One type, one spelling, everywhere a location appears (household files, PAD sync records, household images,
post-loan inspection visits): ``{"lat": 44.6123, "lon": 124.9312, "accuracy_m": 8}``.

* ``lat`` ∈ [-90, 90] and ``lon`` ∈ [-180, 180] degrees, ``accuracy_m`` ∈ [0, 100000] metres (the device's
  reported horizontal accuracy, optional);
* JSON numbers only: a string, a boolean or ``null`` in place of a coordinate is refused (a client that sends
  ``"44.6"`` has a bug worth hearing about, and a typed client cannot produce a number-or-string union);
* at most :data:`MAX_DECIMALS` decimal places (1e-7 degree is about 1.1 cm on the ground, far finer than any
  GPS fix; WGS 84 arc length per degree: 111.32 km at the equator), ``accuracy_m`` at most one decimal place.
  A finer value is refused, not rounded: the client decides how it rounds. This bound also keeps every
  coordinate a DynamoDB number (magnitude 1E-130 to 9.99E+125, 38 digits): ``1e-131`` or ``-1.96e-276``
  has more than seven decimal places and never reaches the store;
* NaN and ±Infinity (which Python's JSON parser accepts) are refused.

Inside the service a coordinate is a :class:`~decimal.Decimal` (exact; stored as a DynamoDB number). In JSON
responses it is written as a number: a value with at most 3 integer digits and 7 decimals has at most 10
significant digits, so it survives the round trip through a binary double exactly (IEEE 754 doubles keep 15).

Errors (pydantic, mapped to 422 ``REQUEST_VALIDATION`` by the route layer, per field):
``FIELD_COORDINATE_NOT_NUMBER``, ``FIELD_COORDINATE_PRECISION``, ``FIELD_GREATER_THAN_EQUAL`` /
``FIELD_LESS_THAN_EQUAL`` (out of range), ``FIELD_UNKNOWN`` (any other key, e.g. the old ``lng``).
``model_dump()`` gives Decimals (for the store), ``model_dump(mode="json")`` JSON numbers.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

from chalicelib.platform.inputs import Rule

#: Decimal places of a coordinate (degrees): 1e-7° ≈ 1.1 cm.
MAX_DECIMALS = 7
#: Decimal places of the accuracy (metres).
ACCURACY_DECIMALS = 1


def _decimal_places(value: Decimal) -> int:
    """Digits after the decimal point of ``value`` once trailing zeros are dropped (``44.6100`` → 2)."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _number(what: str, places: int) -> Callable[[Any], Decimal]:
    """A before-validator turning a JSON number into an exact Decimal with at most ``places`` decimals."""

    def check(value: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise PydanticCustomError("coordinate_not_number",
                                      "{what} must be a JSON number, e.g. 44.6123 (not a string)", {"what": what})
        try:
            # a float from the JSON parser → its shortest repr, the digits the client sent
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except (InvalidOperation, ValueError):
            number = Decimal("NaN")
        if not number.is_finite():
            raise PydanticCustomError("coordinate_not_number", "{what} must be a finite number", {"what": what})
        if _decimal_places(number) > places:
            raise PydanticCustomError("coordinate_precision", "{what} has more than {places} decimal places",
                                      {"what": what, "places": places})
        return number

    return check


def _as_json_number(value: Decimal) -> float | int:
    """Exact for every value this module accepts (at most 10 significant digits, see the module docstring)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _coordinate(what: str, low: int, high: int, places: int, description: str) -> Any:
    return Annotated[
        Decimal, BeforeValidator(_number(what, places)), Field(ge=low, le=high), Rule("coordinate"),
        PlainSerializer(_as_json_number, when_used="json"),
        WithJsonSchema({"type": "number", "minimum": low, "maximum": high,
                        "description": f"{description}; at most {places} decimal place{'s' if places > 1 else ''}"}),
    ]


if TYPE_CHECKING:  # to a type checker they are the Decimal they validate to (the metadata is built at run time)
    Latitude: TypeAlias = Decimal
    Longitude: TypeAlias = Decimal
    AccuracyMetres: TypeAlias = Decimal
else:
    Latitude = _coordinate("latitude", -90, 90, MAX_DECIMALS, "degrees north (WGS 84)")
    Longitude = _coordinate("longitude", -180, 180, MAX_DECIMALS, "degrees east (WGS 84)")
    AccuracyMetres = _coordinate("accuracy", 0, 100000, ACCURACY_DECIMALS, "horizontal accuracy in metres, as the "
                                                                           "device reports it")


class GeoPoint(BaseModel):
    """A point in WGS 84 decimal degrees (JSON numbers, at most 7 decimal places), with the device's
    horizontal accuracy in metres when known."""

    model_config = ConfigDict(extra="forbid", strict=True, title="GeoPoint")

    lat: Latitude
    lon: Longitude
    accuracy_m: AccuracyMetres | None = None

    def stored(self) -> dict[str, Decimal]:
        """The point as it is stored (DynamoDB numbers): ``{"lat", "lon"[, "accuracy_m"]}``."""
        return self.model_dump(exclude_none=True)
