"""What the data layer does with a number DynamoDB cannot hold (chalicelib.platform.dynamo): a clear 422, never a bare
decimal exception (a 500) nor a conflict."""
from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.platform import dynamo
from chalicelib.platform.errors import Conflict, TooManyRequests, ValidationFailed


@pytest.mark.parametrize("number", [Decimal("-1.96E-276"), Decimal("1E+127"), Decimal("1." + "1" * 40)])
def test_a_number_outside_dynamodb_numbers_is_value_not_storable(number):
    with pytest.raises(ValidationFailed) as exc:
        dynamo.to_item({"PK": "x", "n": number})
    assert exc.value.code == "VALUE_NOT_STORABLE" and exc.value.status == 422


def test_numbers_at_the_edges_of_the_range_serialise():
    item = dynamo.to_item({"a": Decimal("1E-130"), "b": Decimal("9.99E+125"), "c": Decimal("44.6123456")})
    assert item == {"a": {"N": "1E-130"}, "b": {"N": "9.99E+125"}, "c": {"N": "44.6123456"}}


def test_cancellation_reasons_map_to_what_the_client_should_do():
    stale = Conflict("stale", code="VERSION_CONFLICT")
    ok, failed = {"Code": "None"}, {"Code": "ConditionalCheckFailed"}
    invalid = {"Code": "ValidationError", "Message": "Number underflow"}
    err = dynamo.cancellation_error([ok, invalid], [stale, None])
    assert isinstance(err, ValidationFailed) and err.code == "VALUE_NOT_STORABLE"
    assert dynamo.cancellation_error([invalid, failed], [None, stale]) is stale  # the failed condition wins
    assert dynamo.cancellation_error([{"Code": "TransactionConflict"}], [stale]).code == "CONCURRENT_UPDATE"
    assert isinstance(dynamo.cancellation_error([{"Code": "ThrottlingError"}], [None]), TooManyRequests)
    assert isinstance(dynamo.cancellation_error([{"Code": "ItemCollectionSizeLimitExceeded"}], [None]), RuntimeError)
    assert dynamo.cancellation_error([], []).code == "CONCURRENT_UPDATE"
