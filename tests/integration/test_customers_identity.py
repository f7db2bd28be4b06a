"""The published resident-ID and USCC examples (tests/fixtures/id_uscc_published_examples.json) through the
API on the local stack: valid ones are accepted (a lower-case x normalised), invalid ones refused with
the stable code of their defect."""
from __future__ import annotations

import json

import pytest

from infra.template import ROOT
from tests.integration.customers_support import SHOWCASE, create, household

pytestmark = pytest.mark.stack

EXAMPLES = json.loads((ROOT / "tests" / "fixtures" / "id_uscc_published_examples.json").read_text(encoding="utf-8"))
ID_CODES = {"bad_checksum": "ID_CHECK_DIGIT", "bad_date": "ID_BIRTH_DATE", "bad_region": "ID_ADDRESS_CODE",
            "legacy_15_digit": "ID_LEGACY_15"}
USCC_CODES = {"checksum": "USCC_CHECK_CHAR", "charset": "USCC_CHARSET"}


@pytest.mark.parametrize("case", EXAMPLES["id_cases"], ids=lambda c: c["id"])
def test_published_resident_id_examples(client, case):
    body = household()
    body["members"].append({"relation": "other", "name": "样例", "resident_id": case["id"]})
    r = client.as_user("am.nongan").post("/households", json=body)
    if case["expected_valid"]:
        assert r.status_code == 201, r.text
        member = r.json()["members"][-1]
        number = case["id"].upper()
        assert member["resident_id_masked"] == number[:6] + "********" + number[-4:]
        assert member["birth_date"] == f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
        assert member["gender"] == ("male" if int(number[16]) % 2 else "female")
    else:
        assert r.status_code == 422, r.text
        key = next(k for k in ID_CODES if case["reason"].startswith(k))
        fields = r.json()["error"]["fields"]
        assert fields == [{"field": "members[2].resident_id", "code": ID_CODES[key], "message": fields[0]["message"]}]


@pytest.mark.parametrize("case", EXAMPLES["uscc_cases"], ids=lambda c: c["uscc"])
def test_published_uscc_examples(client, case):
    rep = create(client)
    body = {"name": "样例农业发展有限公司", "uscc": case["uscc"], "kind": "company", "village_code": SHOWCASE,
            "legal_representative": {"household_id": rep["household_id"], "member_id": rep["head_member_id"]},
            "operations": {"main_business": "玉米种植与收购", "land_mu": "800"}}
    r = client.as_user("am.nongan").post("/agri-entities", json=body)
    if case["expected_valid"]:
        assert r.status_code == 201, r.text
        assert r.json()["uscc"] == case["uscc"]
    else:
        assert r.status_code == 422, r.text
        key = next(k for k in USCC_CODES if case["reason"].startswith(k))
        assert [f["code"] for f in r.json()["error"]["fields"]] == [USCC_CODES[key]]
