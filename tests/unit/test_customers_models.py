"""The customers context's item models (chalicelib/customers/data/models.py): each builds its own keys and index
entries from its attributes, and a household survives the trip to DynamoDB's wire form and back with its money
as Decimal (never float) and its nested documents intact."""
from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.customers.data.models import AgriEntity, Household, ResidentIndex, RosterImport, SyncReceipt


def _household(**kw) -> Household:
    state = {"household_id": "H1", "village_code": "220122102202", "org_path": "/JL/JL-220122/B/O/", "version": 3,
             "status": "verified", "collected_by": "u-am", "members": [
                 {"member_id": "m-1", "relation": "head", "name": "张三", "resident_id_hash": "ab" * 32}],
             "assets": {"house_value": Decimal("150000.00"), "livestock": [{"kind": "cattle", "count": 5}]},
             "expected_net_income": Decimal("62000.50"), "blacklisted": False, **kw}
    return Household.of(state)


def test_a_household_builds_its_key_and_its_village_and_manager_index_entries():
    wire = _household().to_wire()
    assert (wire["PK"], wire["SK"]) == ({"S": "HH#H1"}, {"S": "HH"})
    assert (wire["GSI1PK"], wire["GSI1SK"]) == ({"S": "VILLAGE#220122102202"}, {"S": "HH#H1"})
    assert (wire["GSI2PK"], wire["GSI2SK"]) == ({"S": "AM#u-am"}, {"S": "HH#H1"})
    assert Household.key("H1") == ("HH#H1", "HH")
    no_collector = _household(collected_by=None).to_wire()
    assert "GSI2PK" not in no_collector and "GSI2SK" not in no_collector


def test_a_household_keeps_decimals_and_documents_through_the_wire_and_leaves_keys_out_of_its_state():
    back = Household.from_wire(_household().to_wire()).state()
    assert back["expected_net_income"] == Decimal("62000.50") and type(back["expected_net_income"]) is Decimal
    assert back["assets"]["house_value"] == Decimal("150000.00") and type(back["assets"]["house_value"]) is Decimal
    assert back["assets"]["livestock"] == [{"kind": "cattle", "count": 5}]
    assert back["members"][0]["name"] == "张三" and back["version"] == 3 and back["blacklisted"] is False
    assert not {"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"} & set(back)
    assert Household.of({**back, "PK": "forged", "unknown": 1}).to_wire()["PK"] == {"S": "HH#H1"}


def test_a_float_never_reaches_a_household():
    with pytest.raises(TypeError):
        _household(expected_net_income=62000.5).to_wire()
    with pytest.raises(TypeError):
        _household(assets={"house_value": 1.5}).to_wire()


def test_index_and_other_items_build_their_keys():
    assert ResidentIndex(resident_id_hash="h", household_id="H1").to_wire()["PK"] == {"S": "RID#h"}
    assert SyncReceipt.key("u1", "op1") == ("SYNC#u1#op1", "SYNC")
    entity = AgriEntity(entity_id="E1", name="合作社", uscc="93220122MA0000000X", kind="cooperative",
                        village_code="220122102202", org_path="/JL/", legal_representative={"name": "张三"},
                        version=1).to_wire()
    assert (entity["PK"], entity["GSI1PK"], entity["GSI1SK"]) == ({"S": "ENT#E1"}, {"S": "VILLAGEENT#220122102202"},
                                                                 {"S": "ENT#E1"})
    job = RosterImport(import_id="I1", village_code="220122102202", org_path="/JL/", status="queued", filename="a.csv",
                       s3_key="k", report_key="r", requested_by={"user_id": "u"}, created_at="2026-01-01T00:00:00Z")
    assert (job.to_wire()["GSI1PK"], job.to_wire()["GSI1SK"]) == ({"S": "VILLAGEIMPORT#220122102202"},
                                                                 {"S": "2026-01-01T00:00:00Z"})
    assert RosterImport.file_keys("I1", "xlsx") == ("imports/I1/roster.xlsx", "imports/I1/report.json")
