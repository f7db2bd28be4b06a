"""The pynamodb base (chalicelib/platform/dynamo/models.py) and the one Transaction (tx.py), on the local stack's
tables: money stays Decimal end to end, documents keep Decimal numbers, table names are read from the settings
when first used, model and dict operations go into one TransactWriteItems call in the order added, and each
operation's cancellation reason comes back as that operation's own domain error.

(Not a unit test: moto's in-process mock resets every moto backend when it ends, the local stack's too.)"""
from __future__ import annotations

import os
import uuid
from decimal import Decimal

import pytest
from pynamodb.attributes import UnicodeAttribute, VersionAttribute

from chalicelib.platform import aws
from chalicelib.platform.dynamo import items, models, tx
from chalicelib.platform.errors import Conflict, TooManyRequests, ValidationFailed
from chalicelib.platform.settings import get_settings


class Purse(models.CoreModel):
    """A test item: one household's purse (keys from its own attributes)."""

    purse_id = UnicodeAttribute()
    balance = models.MoneyAttribute()
    history = models.DocumentListAttribute(null=True)
    detail = models.DocumentAttribute(null=True)
    version = VersionAttribute()

    @staticmethod
    def key(purse_id: str) -> tuple[str, str]:
        return f"PURSE#{purse_id}", "PURSE"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.purse_id)


@pytest.fixture
def store(stack):
    """The local stack's DynamoDB client; ``t`` prefixes the test's keys so that runs never meet."""
    return aws.dynamodb()


def _core() -> str:
    return get_settings().core_table


def _new(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def test_table_names_come_from_the_settings_when_first_used(store):
    assert Purse.Meta.table_name == get_settings().core_table == os.environ["CORE_TABLE"]
    assert models.AuditTableModel.Meta.table_name == get_settings().audit_table == os.environ["AUDIT_TABLE"]


def test_money_and_documents_keep_their_decimals(store):
    pid = _new("p1")
    purse = Purse(purse_id=pid, balance=Decimal("12345678901234.56"),
                  history=[{"amount": Decimal("0.1"), "n": 3}], detail={"rate": Decimal("3.45"), "none": None})
    tx.Transaction().save(purse).commit()
    raw = store.get_item(TableName=_core(), Key={"PK": {"S": f"PURSE#{pid}"}, "SK": {"S": "PURSE"}})["Item"]
    assert raw["balance"] == {"N": "12345678901234.56"}  # the number as written, never through a float
    got = Purse.find(*Purse.key(pid))
    assert got is not None and got.balance == Decimal("12345678901234.56") and isinstance(got.balance, Decimal)
    assert got.history == [{"amount": Decimal("0.1"), "n": 3}] and isinstance(got.history[0]["n"], int)
    assert got.detail == {"rate": Decimal("3.45")}  # None inside a document is dropped, as dict items drop it
    with pytest.raises(TypeError):
        Purse(purse_id="p2", balance=0.1).to_wire()  # a float never reaches the store
    with pytest.raises(ValidationFailed) as refused:
        Purse(purse_id="p3", balance=Decimal("1E+200")).to_wire()
    assert refused.value.code == "VALUE_NOT_STORABLE"


def test_model_and_dict_operations_commit_together_with_the_audit_record(store):
    pid = _new("p4")
    purse = Purse(purse_id=pid, balance=Decimal("10.00"))
    t = tx.Transaction()
    t.save(purse)
    t.put(_core(), {"PK": f"NOTE#{pid}", "SK": "NOTE", "text": "opened"}, condition="attribute_not_exists(PK)")
    t.record(tx.Audit("purse", pid, "purse.opened", "u-1", before=None, after=purse.state(), org_path="/JL/"))
    t.commit()
    assert purse.version == 1  # the local version follows the stored one
    assert items.get(_core(), f"NOTE#{pid}", "NOTE")["text"] == "opened"
    trail = store.query(TableName=get_settings().audit_table, KeyConditionExpression="PK = :p",
                        ExpressionAttributeValues={":p": {"S": f"purse#{pid}"}})["Items"]
    assert len(trail) == 1 and trail[0]["after"]["M"]["balance"] == {"N": "10.00"}
    assert trail[0]["GSI1PK"] == {"S": "ACTOR#u-1"} and trail[0]["SK"]["S"].startswith(trail[0]["at"]["S"])


@pytest.mark.parametrize("failing", [0, 1, 2])
def test_each_cancellation_reason_is_the_failing_operations_own_error(store, failing):
    """Three operations (a dict put, a model save, a dict condition check): the one whose condition fails raises
    its own error, whatever kind of operation it is and wherever it stands."""
    a, b, c = _new("A"), _new("b"), _new("C")
    tx.Transaction().put(_core(), {"PK": a, "SK": "A"}).put(_core(), {"PK": c, "SK": "C"}).commit()
    tx.Transaction().save(Purse(purse_id=b, balance=Decimal(1))).commit()
    errors = [Conflict("a", code="A_FAILED"), Conflict("b", code="B_FAILED"), Conflict("c", code="C_FAILED")]
    t = tx.Transaction()
    t.put(_core(), {"PK": a, "SK": "A", "v": 2},
          condition="attribute_exists(PK)" if failing != 0 else "attribute_not_exists(PK)", on_fail=errors[0])
    # version 1 is what is stored; no version means "create", which fails on the stored purse
    stale = Purse(purse_id=b, balance=Decimal(2), **({"version": 1} if failing != 1 else {}))
    t.save(stale, on_fail=errors[1])
    t.check(_core(), {"PK": c, "SK": "C"},
            "attribute_exists(PK)" if failing != 2 else "attribute_not_exists(PK)", on_fail=errors[2])
    with pytest.raises(Conflict) as raised:
        t.commit()
    assert raised.value is errors[failing]
    assert items.get(_core(), a, "A").get("v") is None  # nothing of the transaction was written


def test_a_stale_versioned_model_is_refused_and_the_local_version_stays(store):
    pid = _new("p5")
    purse = Purse(purse_id=pid, balance=Decimal(5))
    tx.Transaction().save(purse).commit()
    other = Purse.find(*Purse.key(pid))
    other.balance = Decimal(6)
    tx.Transaction().save(other).commit()
    purse.balance = Decimal(7)
    with pytest.raises(Conflict) as raised:
        tx.Transaction().save(purse, on_fail=tx.version_conflict("purse", 1)).commit()
    assert raised.value.code == "VERSION_CONFLICT" and purse.version == 1
    assert Purse.find(*Purse.key(pid)).balance == Decimal(6)


def test_reasons_other_than_conditions_map_as_documented():
    assert isinstance(tx.reason_error({"Code": "ThrottlingError"}, None), TooManyRequests)
    stored = tx.reason_error({"Code": "ValidationError", "Message": "Item size has exceeded"}, None)
    assert isinstance(stored, ValidationFailed) and stored.code == "VALUE_NOT_STORABLE"
    busy = tx.reason_error({"Code": "TransactionConflict"}, Conflict("x", code="MINE"))
    assert isinstance(busy, Conflict) and busy.code == "CONCURRENT_UPDATE"  # not the condition's own error
    assert isinstance(tx.reason_error({"Code": "ItemCollectionSizeLimitExceeded"}, None), RuntimeError)


def test_the_client_request_token_is_sent(store, monkeypatch):
    sent = {}
    real = store.transact_write_items

    def spy(**kwargs):
        sent.update(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(store, "transact_write_items", spy)
    tx.Transaction().save(Purse(purse_id=_new("p6"), balance=Decimal(1))).commit(token="drawdown-123-" + "x" * 40)
    assert sent["ClientRequestToken"] == ("drawdown-123-" + "x" * 40)[:36]
    assert list(sent["TransactItems"][0]) == ["Put"]


def test_a_transaction_of_more_than_a_hundred_operations_is_refused_before_sending():
    t = tx.Transaction()
    for n in range(tx.MAX_OPERATIONS + 1):
        t.put("t", {"PK": str(n), "SK": "x"})
    with pytest.raises(RuntimeError, match="at most 100"):
        t.commit()


def test_one_dynamodb_client_serves_models_and_dict_items(store):
    Purse.find(*Purse.key(_new("none")))
    assert Purse._get_connection().connection._client is aws.dynamodb() is items.client()
