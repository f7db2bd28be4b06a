"""Cursors a client sends back are checked before DynamoDB sees them: a crafted cursor is a 400
INVALID_CURSOR (field ``cursor``), never a ValidationException (500). No sockets."""
from __future__ import annotations

import base64
import json

import pytest

from chalicelib.platform import dynamo
from chalicelib.platform.errors import BadRequest


def _b64(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


GSI_KEY = {"PK": "WARNSIG#W1", "SK": "SIGNAL", "GSI3PK": "WARNACT#JL-220122", "GSI3SK": "/JL/JL-220122/#-#W1"}


def test_a_cursor_issued_by_a_query_round_trips():
    cursor = dynamo.encode_cursor(dynamo.to_item(GSI_KEY))
    assert dynamo.from_item(dynamo.decode_cursor(cursor, partition=("GSI3PK", "WARNACT#JL-220122"))) == GSI_KEY
    table = {"PK": "PLOAN#L1", "SK": "CLS#2025-02-16#0001"}
    assert dynamo.from_item(dynamo.decode_cursor(dynamo.encode_cursor(dynamo.to_item(table)),
                                                 partition=("PK", "PLOAN#L1"))) == table


@pytest.mark.parametrize("key", [
    {"GSI3PK": "WARNACT#JL-220122"},                                   # only the partition attribute
    {k: v for k, v in GSI_KEY.items() if k != "SK"},                   # a table key attribute missing
    {**GSI_KEY, "GSI1PK": "x"},                                        # an attribute too many
    {**GSI_KEY, "GSI3PK": "WARNACT#JL-220182"},                        # another partition
    {**GSI_KEY, "SK": ""},                                             # an empty key value
    {**GSI_KEY, "SK": 7},                                              # not a string
    {**GSI_KEY, "SK": {"S": "x"}},
    {**GSI_KEY, "GSI3SK": "x" * 1025},                                 # beyond DynamoDB's key size
    [1, 2], "text", None])
def test_a_crafted_cursor_is_refused(key):
    with pytest.raises(BadRequest) as err:
        dynamo.decode_cursor(_b64(key), partition=("GSI3PK", "WARNACT#JL-220122"))
    assert err.value.code == "INVALID_CURSOR" and err.value.fields[0].field == "cursor"


@pytest.mark.parametrize("cursor", ["%%%", "e30", "\u00e9t\u00e9"])
def test_a_cursor_that_is_not_base64_json_is_refused(cursor):
    with pytest.raises(BadRequest):
        dynamo.decode_cursor(cursor, partition=("PK", "X"))


def test_a_cursor_outside_the_sort_key_condition_is_refused():
    key = {"PK": "INSP#I1", "SK": "TASK", "GSI2PK": "AMQ#u1#INSP", "GSI2SK": "Z#2025-02-14#I1"}
    ok = dynamo.sort_condition("begins_with", "Z#")
    assert dynamo.decode_cursor(_b64(key), partition=("GSI2PK", "AMQ#u1#INSP"), sort_ok=ok)
    for op, value in (("begins_with", "A#"), ("between", ("A#", "A#2025-03-01")), ("<", "Z#2025-01-01")):
        with pytest.raises(BadRequest):
            dynamo.decode_cursor(_b64(key), partition=("GSI2PK", "AMQ#u1#INSP"),
                                 sort_ok=dynamo.sort_condition(op, value))


def test_unit_cursors_round_trip_and_stay_within_their_units():
    assert dynamo.decode_unit_cursor(None, units=3) == (0, None)
    assert dynamo.decode_unit_cursor(dynamo.encode_unit_cursor(2, "abc"), units=3) == (2, "abc")
    assert dynamo.decode_unit_cursor(dynamo.encode_unit_cursor(1, None), units=3) == (1, None)
    for raw in ({"u": -3, "c": None}, {"u": -30}, {"u": 3, "c": None}, {"u": "1", "c": None}, {"u": True, "c": None},
                {"u": 1.0, "c": None}, {"u": 0, "c": 5}, {"u": 0, "c": None, "x": 1}, [0, None], 0):
        with pytest.raises(BadRequest) as err:
            dynamo.decode_unit_cursor(_b64(raw), units=3)
        assert err.value.code == "INVALID_CURSOR" and err.value.fields[0].field == "cursor"
