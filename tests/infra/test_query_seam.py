"""Seam 4 of the local stack (infra/local/seams.py): queries are answered from the queried partition
(base table) or from a per-index map kept current on every write. Whatever the writes did — puts that
move an item between index partitions, updates that set or remove the index key, deletes, batch
writes, transactions that commit or roll back — every query must return exactly what a full scan says
it should, in key order and across pages."""
from __future__ import annotations

import random
import uuid

import boto3
import pytest


@pytest.fixture
def table(stack):
    """A scratch table with one GSI on the local stack (never ``mock_aws`` here: it would reset the
    in-process moto backends that the session's local stack serves from)."""
    client = boto3.client("dynamodb")
    name = f"query-seam-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("PK", "SK", "G", "GS")],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "GSI", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "G", "KeyType": "HASH"},
                                               {"AttributeName": "GS", "KeyType": "RANGE"}]}])
    yield client, name
    client.delete_table(TableName=name)


def _item(pk: str, sk: str, g: str | None, gs: str) -> dict:
    item = {"PK": {"S": pk}, "SK": {"S": sk}, "GS": {"S": gs}, "v": {"S": uuid.uuid4().hex[:6]}}
    if g is not None:
        item["G"] = {"S": g}
    return item


def _query_all(client, name: str, **kwargs) -> list[dict]:
    out, start = [], None
    while True:
        page = client.query(TableName=name, Limit=3, **kwargs, **({"ExclusiveStartKey": start} if start else {}))
        out.extend(page["Items"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return out


def _check(client, name: str) -> int:
    scanned = client.scan(TableName=name)["Items"]
    checked = 0
    for pk in {f"P{n}" for n in range(6)}:
        want = sorted((i for i in scanned if i["PK"]["S"] == pk), key=lambda i: i["SK"]["S"])
        got = _query_all(client, name, KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p": {"S": pk}})
        assert got == want, pk
        checked += len(got)
    for g in ("G0", "G1", "G2", "G3"):
        want = sorted((i for i in scanned if i.get("G", {}).get("S") == g), key=lambda i: (i["GS"]["S"], i["PK"]["S"], i["SK"]["S"]))
        got = _query_all(client, name, IndexName="GSI", KeyConditionExpression="G = :g",
                         ExpressionAttributeValues={":g": {"S": g}})
        assert [(i["PK"], i["SK"]) for i in got] == [(i["PK"], i["SK"]) for i in want], g
        assert got == want
        desc = _query_all(client, name, IndexName="GSI", KeyConditionExpression="G = :g AND begins_with(GS, :b)",
                          ExpressionAttributeValues={":g": {"S": g}, ":b": {"S": "1"}}, ScanIndexForward=False)
        assert [i["GS"]["S"] for i in desc] == sorted((i["GS"]["S"] for i in want if i["GS"]["S"].startswith("1")),
                                                      reverse=True)
        checked += len(got)
    return checked


def test_queries_match_a_scan_after_every_kind_of_write(table):
    client, name = table
    rng = random.Random(20261129)
    keys = [(f"P{rng.randrange(6)}", f"S{n:03d}") for n in range(60)]

    def g() -> str | None:
        return rng.choice(["G0", "G1", "G2", "G3", None])

    def gs() -> str:
        return f"{rng.randrange(3)}{rng.randrange(100):02d}"

    for pk, sk in keys:
        client.put_item(TableName=name, Item=_item(pk, sk, g(), gs()))
    assert _check(client, name) > 0

    for rnd in range(6):
        for pk, sk in rng.sample(keys, 10):  # overwrite: the item may move between index partitions
            client.put_item(TableName=name, Item=_item(pk, sk, g(), gs()))
        for pk, sk in rng.sample(keys, 8):  # update the index key in place, or remove it
            if rng.random() < 0.3:
                client.update_item(TableName=name, Key={"PK": {"S": pk}, "SK": {"S": sk}}, UpdateExpression="REMOVE G")
            else:
                client.update_item(TableName=name, Key={"PK": {"S": pk}, "SK": {"S": sk}},
                                   UpdateExpression="SET G = :g, GS = :s",
                                   ExpressionAttributeValues={":g": {"S": rng.choice(["G0", "G1", "G2", "G3"])},
                                                              ":s": {"S": gs()}})
        _check(client, name)
        for pk, sk in rng.sample(keys, 3):
            client.delete_item(TableName=name, Key={"PK": {"S": pk}, "SK": {"S": sk}})
        client.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": _item(pk, sk, g(), gs())}}
                                                     for pk, sk in rng.sample(keys, 5)]})
        _check(client, name)
        pk, sk = rng.choice(keys)
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": name, "Item": _item(pk, f"T{rnd}", "G1", gs())}},
            {"Update": {"TableName": name, "Key": {"PK": {"S": pk}, "SK": {"S": sk}},
                        "UpdateExpression": "SET G = :g, GS = :s",
                        "ExpressionAttributeValues": {":g": {"S": "G2"}, ":s": {"S": gs()}}}}])
        _check(client, name)
        with pytest.raises(client.exceptions.TransactionCanceledException):  # rolled back: nothing changes
            other = next(k for k in keys if k != (pk, sk))
            client.transact_write_items(TransactItems=[
                {"Put": {"TableName": name, "Item": _item("P0", f"R{rnd}", "G3", gs())}},
                {"Update": {"TableName": name, "Key": {"PK": {"S": pk}, "SK": {"S": sk}},
                            "UpdateExpression": "SET G = :g", "ExpressionAttributeValues": {":g": {"S": "G0"}}}},
                {"ConditionCheck": {"TableName": name, "Key": {"PK": {"S": other[0]}, "SK": {"S": "never"}},
                                    "ConditionExpression": "attribute_exists(PK)"}}])
        _check(client, name)
        client.put_item(TableName=name, Item=_item("P1", f"after-rollback-{rnd}", "G3", "150"))
        _check(client, name)


def test_a_query_on_an_absent_partition_is_empty(table):
    client, name = table
    assert client.query(TableName=name, KeyConditionExpression="PK = :p",
                        ExpressionAttributeValues={":p": {"S": "nobody"}})["Items"] == []
    assert client.query(TableName=name, IndexName="GSI", KeyConditionExpression="G = :g",
                        ExpressionAttributeValues={":g": {"S": "nothing"}})["Items"] == []
