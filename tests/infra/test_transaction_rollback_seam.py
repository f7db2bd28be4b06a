"""The local stack's TransactWriteItems seam (infra/local/seams.py, seam 3) keeps moto's rollback
semantics: a transaction whose condition fails leaves every item as it was, including items that an
earlier operation of the same transaction had already updated in place, put or deleted."""
from __future__ import annotations

import uuid

import boto3
import pytest


@pytest.fixture
def ddb(stack):
    """A scratch table on the local stack (never ``mock_aws`` here: it would reset the in-process moto
    backends that the session's local stack serves from)."""
    client = boto3.client("dynamodb")
    name = f"seam-test-{uuid.uuid4().hex[:8]}"
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"},
                                              {"AttributeName": "SK", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"},
                                   {"AttributeName": "SK", "KeyType": "RANGE"}])
    for n in range(4):
        client.put_item(TableName=name, Item={"PK": {"S": f"A#{n}"}, "SK": {"S": "X"}, "v": {"N": "1"}})
    yield client, name
    client.delete_table(TableName=name)


def _key(pk: str) -> dict:
    return {"PK": {"S": pk}, "SK": {"S": "X"}}


def test_failed_transaction_rolls_back_updates_puts_and_deletes(ddb):
    ddb, t = ddb
    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        ddb.transact_write_items(TransactItems=[
            {"Update": {"TableName": t, "Key": _key("A#0"), "UpdateExpression": "SET v = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}}}},
            {"Put": {"TableName": t, "Item": {**_key("A#1"), "v": {"N": "9"}}}},
            {"Delete": {"TableName": t, "Key": _key("A#2")}},
            {"Put": {"TableName": t, "Item": {**_key("NEW"), "v": {"N": "1"}}}},
            {"ConditionCheck": {"TableName": t, "Key": _key("A#3"), "ConditionExpression": "attribute_not_exists(PK)"}},
        ])
    items = {i["PK"]["S"]: i["v"]["N"] for i in ddb.scan(TableName=t)["Items"]}
    assert items == {"A#0": "1", "A#1": "1", "A#2": "1", "A#3": "1"}


def test_successful_transaction_applies_everything(ddb):
    ddb, t = ddb
    ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": t, "Key": _key("A#0"), "UpdateExpression": "SET v = :two",
                    "ExpressionAttributeValues": {":two": {"N": "2"}}}},
        {"Delete": {"TableName": t, "Key": _key("A#2")}},
        {"Put": {"TableName": t, "Item": {**_key("NEW"), "v": {"N": "5"}}}},
    ])
    items = {i["PK"]["S"]: i["v"]["N"] for i in ddb.scan(TableName=t)["Items"]}
    assert items == {"A#0": "2", "A#1": "1", "A#3": "1", "NEW": "5"}


def test_transactions_leave_no_table_snapshot_alive(ddb):
    """moto tracks every model instance it creates (``BaseModel.instances_tracked``), the rollback snapshot
    of each transaction included; the seam drops those, or every transaction would keep a copy of the
    table's index alive for the life of the process (the 100,000-loan benchmark ran out of memory)."""
    from moto.dynamodb.models.table import Table

    ddb, t = ddb
    before = len(Table.instances_tracked)
    for n in range(5):
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": t, "Item": {**_key(f"T#{n}"), "v": {"N": "1"}}}},
            {"ConditionCheck": {"TableName": t, "Key": _key("A#3"), "ConditionExpression": "attribute_exists(PK)"}},
        ])
    assert len(Table.instances_tracked) == before


def test_a_value_dynamodb_refuses_is_not_reported_as_a_version_conflict(ddb):
    """A number below DynamoDB's 1E-130 cancels the transaction with reason ValidationError: TxBuilder reports
    422 VALUE_NOT_STORABLE (not the operation's on_fail VERSION_CONFLICT: a client would retry for ever), and
    nothing of the transaction is written."""
    from decimal import Decimal

    from chalicelib.platform import dynamo
    from chalicelib.platform.errors import Conflict, ValidationFailed

    _, t = ddb
    tx = dynamo.TxBuilder()
    tx.put(t, {"PK": "A#0", "SK": "X", "v": 2}, condition="v = :one", values={":one": 1},
           on_fail=Conflict("stale", code="VERSION_CONFLICT"))
    tx.put(t, {"PK": "TINY", "SK": "X", "v": Decimal("1E-131")})
    with pytest.raises(ValidationFailed) as exc:
        tx.commit()
    assert exc.value.code == "VALUE_NOT_STORABLE" and exc.value.status == 422
    items = {i["PK"]["S"]: i["v"]["N"] for i in boto3.client("dynamodb").scan(TableName=t)["Items"]}
    assert items == {"A#0": "1", "A#1": "1", "A#2": "1", "A#3": "1"}
    stale = dynamo.TxBuilder().put(t, {"PK": "A#0", "SK": "X", "v": 3}, condition="v = :two", values={":two": 2},
                                   on_fail=Conflict("stale", code="VERSION_CONFLICT"))
    with pytest.raises(Conflict) as exc:  # a failed condition still names the operation's own error
        stale.commit()
    assert exc.value.code == "VERSION_CONFLICT"
