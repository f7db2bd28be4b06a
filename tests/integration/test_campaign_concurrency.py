"""Issue 10 items 1 and 6 on the local stack: one open campaign per village and one proposed-or-active credit
line per household, under concurrent requests (real threads against the API and the state machines); the
line slot is released when a line ends, so a later campaign can grant one again; residents' committees
(居委会) get no campaign unless the village_campaign parameter lets the institution run one there.

Villages (哈拉海镇, the demo account managers' outlet; no other test uses them): 220122102207 新兴村委会,
220122102208 孙家炉村委会, 220122102209 纪家油房村委会, and the residents' committee 220122102001 哈拉海居委会.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

from tests.conftest import wait_for

RACE_VILLAGE = "220122102207"
LEGACY_VILLAGE = "220122102208"
LIFECYCLE_VILLAGE = "220122102209"
RESIDENTS_COMMITTEE = "220122102001"
OPEN_LINE = ("proposed", "active")
STARTERS = ("am.nongan", "am2.nongan")


# ------------------------------------------------------------------------------------------ helpers

def _seed(code: str, count: int, *, seed: int, tag: str) -> list[str]:
    """``count`` synthetic households filed (verified) in village ``code``; returns their ids."""
    from chalicelib.data import dynamo, orgs
    from chalicelib.settings import get_settings
    from infra.synthetic import stored_household, village_households_in

    org_path = orgs.village_assignment(code)["org_path"]
    items = [stored_household(h, f"HH-{code}-{tag}{n:03d}", org_path=org_path, status="verified")
             for n, h in enumerate(village_households_in(code, count, seed=seed), 1)]
    dynamo.batch_put(get_settings().core_table, items)
    return [i["household_id"] for i in items]


def _campaign(client, cid: str) -> dict:
    r = client.as_user("am.nongan").get(f"/campaigns/{cid}")
    assert r.status_code == 200, r.text
    return r.json()


def _wait(client, cid: str, statuses: set[str], timeout: float = 240) -> dict:
    return wait_for(lambda: (lambda c: c if c["status"] in statuses else None)(_campaign(client, cid)),
                    timeout=timeout, interval=0.5, what=f"campaign {cid} to reach {statuses}")


def _confirm(client, cid: str) -> dict:
    """The institution confirms (admin.nongan never starts a campaign here) and the lines are activated."""
    c = _wait(client, cid, {"awaiting_confirmation", "failed"})
    assert c["status"] == "awaiting_confirmation", c.get("error")
    r = client.as_user("admin.nongan").post(f"/campaigns/{cid}/confirm", json={"comment": "公示期满"})
    assert r.status_code == 200, r.text
    done = _wait(client, cid, {"completed", "failed"})
    assert done["status"] == "completed", done.get("error")
    return done


def _expire(client, cid: str) -> None:
    """What the workflow's ExpireCampaign step does when the confirmation times out (the real timeout is the
    notice period plus margin, so the step is driven directly, as in test_campaign.py)."""
    import boto3

    from chalicelib.services import campaign as svc

    _wait(client, cid, {"awaiting_confirmation"})
    boto3.client("stepfunctions").stop_execution(executionArn=svc.camp_repo.get_unscoped(cid)["execution_arn"],
                                                 error="States.Timeout", cause="test")
    assert svc.close(cid, "expired") == {"status": "expired"}


def _lines(client, household_id: str) -> list[dict]:
    r = client.as_user("am.nongan").get(f"/households/{household_id}/lines")
    assert r.status_code == 200, r.text
    return r.json()["items"]


def _open_lines(client, household_id: str) -> list[dict]:
    return [l for l in _lines(client, household_id) if l["status"] in OPEN_LINE]


def _rating(client, campaign_id: str, household_id: str) -> dict:
    from chalicelib.domain.village_credit import rating_id

    r = client.as_user("am.nongan").get(f"/ratings/{rating_id(campaign_id, household_id)}")
    assert r.status_code == 200, r.text
    return r.json()


def _with_line(client, cid: str) -> dict[str, str]:
    """Household id → line id, for the ratings of a campaign that got a line."""
    items = client.as_user("am.nongan").get(f"/campaigns/{cid}/ratings?limit=500").json()["items"]
    return {r["household_id"]: r["line_id"] for r in items if r.get("line_id")}


def _open_campaigns(client, code: str) -> list[str]:
    r = client.as_user("am.nongan").get(f"/villages/{code}/campaigns")
    assert r.status_code == 200, r.text
    return [c["campaign_id"] for c in r.json()["items"] if c["status"] not in ("completed", "expired")]


def _start(client, user: str, code: str, period: str):
    return client.as_user(user).post("/campaigns", json={"village_code": code, "period": period})


# ------------------------------------------------------------------------------------------ item 6

def test_a_residents_committee_gets_no_campaign_unless_the_parameter_allows_its_institution(client):
    """220122102001 哈拉海居委会 is a residents' committee (village-level code 001): 422
    VILLAGE_IS_RESIDENTS_COMMITTEE and nothing written. Once the village_campaign parameter lists the
    institution (JL-220122), a campaign runs there, but it gets no credit-village (信用村) evaluation."""
    households = _seed(RESIDENTS_COMMITTEE, 5, seed=4040, tag="U")
    r = _start(client, "am.nongan", RESIDENTS_COMMITTEE, "2026-U1")
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert (error["code"], error["fields"][0]["field"]) == ("VILLAGE_IS_RESIDENTS_COMMITTEE", "village_code")
    assert error["details"]["unit_type"] == "residents_committee"
    assert client.as_user("am.nongan").get(f"/villages/{RESIDENTS_COMMITTEE}/campaigns").json()["items"] == []

    from chalicelib.clock import business_date

    admin = client.as_user("province.admin")
    doc = admin.get("/parameters/village_campaign").json()["value"]

    def put(institutions: list[str]) -> None:
        r = admin.post("/parameters/village_campaign/versions", json={
            "value": {**doc, "residents_committee_institutions": institutions},
            "effective_from": business_date().isoformat(),
            "comment": "居委会整村授信试点" if institutions else "试点结束"})
        assert r.status_code == 201, r.text

    put(["JL-220122"])
    try:
        r = _start(client, "am.nongan", RESIDENTS_COMMITTEE, "2026-U1")
        assert r.status_code == 202, r.text
        cid = r.json()["campaign_id"]
        assert r.json()["unit_type"] == "residents_committee"
        c = _wait(client, cid, {"awaiting_confirmation", "failed"})
        assert c["status"] == "awaiting_confirmation", c.get("error")
        assert c["rated"] == len(households)
        assert c["evaluation"] == {"applicable": False, "reason": "RESIDENTS_COMMITTEE",
                                   "unit_type": "residents_committee"}
        evaluations = client.as_user("am.nongan").get(f"/villages/{RESIDENTS_COMMITTEE}/evaluations")
        assert evaluations.status_code == 200 and evaluations.json()["items"] == []
        township = client.as_user("am.nongan").get(f"/townships/{RESIDENTS_COMMITTEE[:9]}/evaluations").json()
        assert cid not in {e.get("campaign_id") for e in township["items"]}
    finally:
        put([])
    refused = _start(client, "am.nongan", RESIDENTS_COMMITTEE, "2026-U2")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "VILLAGE_IS_RESIDENTS_COMMITTEE"

