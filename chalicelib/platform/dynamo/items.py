"""DynamoDB items as plain dicts (the contexts whose items have no model yet; removed in Phase C): the wire codec
and single reads. Numbers are ``Decimal`` (integral ones ``int``); a float never reaches the store.

Keys and indexes are defined in template.yaml; this module only uses their attribute names (``PK``/``SK``,
``GSInPK``/``GSInSK``). Item models (pynamodb) are in :mod:`chalicelib.platform.dynamo.models`.
"""
from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

from chalicelib.platform.errors import ValidationFailed


def client() -> Any:
    """The process's DynamoDB client (``chalicelib.platform.aws``; honours ``AWS_ENDPOINT_URL``)."""
    from chalicelib.platform import aws

    return aws.dynamodb()


@cache
def _codec() -> tuple[Any, Any]:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    return TypeSerializer(), TypeDeserializer()


def clean(value: Any) -> Any:
    """Drop ``None`` values of dicts (DynamoDB has no use for an attribute without a value; lists keep their
    length) and refuse floats (money and measures are Decimal)."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, float):
        raise TypeError("float reached the data layer; money and measures must be Decimal")
    return value


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    """Plain dict (str, int, Decimal, bool, list, dict) → DynamoDB wire item.

    A Decimal that is no DynamoDB number (more than 38 digits, magnitude outside 1E-130 … 9.99E+125: boto3's
    serializer traps it) raises :func:`not_storable` (422 ``VALUE_NOT_STORABLE``) instead of a bare decimal
    exception (a 500): the request models are meant to refuse such values first (``chalicelib.platform.geo``,
    ``chalicelib.platform.inputs``, ``chalicelib.platform.parameter_storable``), so reaching this is logged as an edge-validation gap."""
    from decimal import DecimalException

    ser, _ = _codec()
    try:
        return {k: ser.serialize(v) for k, v in clean(data).items()}
    except DecimalException as exc:
        raise not_storable(f"number the store cannot hold ({type(exc).__name__})") from None


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB wire item → plain dict; numbers come back as ``Decimal`` (ints as int when integral)."""
    _, de = _codec()
    return {k: ints(de.deserialize(v)) for k, v in item.items()}


def ints(value: Any) -> Any:
    if isinstance(value, Decimal) and value == value.to_integral_value() and value.as_tuple().exponent == 0:
        return int(value)
    if isinstance(value, dict):
        return {k: ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [ints(v) for v in value]
    return value


def get(table: str, pk: str, sk: str, *, consistent: bool = True) -> dict[str, Any] | None:
    """Read one item by key, or ``None``."""
    resp = client().get_item(TableName=table, Key=to_item({"PK": pk, "SK": sk}), ConsistentRead=consistent)
    return from_item(resp["Item"]) if "Item" in resp else None


def not_storable(detail: str) -> ValidationFailed:
    """422 ``VALUE_NOT_STORABLE``: the request holds a value DynamoDB refuses. The edge (request models)
    should have refused it with a field: this is logged as an error so the gap gets closed."""
    from chalicelib.platform.observability import logger

    logger().error("a value reached DynamoDB that the request models should have refused",
                   extra={"detail": detail[:500]})
    return ValidationFailed("a value of the request cannot be stored; check numbers and text sizes",
                            code="VALUE_NOT_STORABLE")
