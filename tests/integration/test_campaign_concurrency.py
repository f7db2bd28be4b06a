"""Issue 10 items 1 and 6 on the local stack: one open campaign per village and one proposed-or-active credit
line per household, under concurrent requests (real threads against the API and the state machines); the
line slot is released when a line ends, so a later campaign can grant one again; residents' committees
(居委会) get no campaign unless the village_campaign parameter lets the institution run one there.

Villages (哈拉海镇, the demo account managers' outlet; no other test uses them): 220122102207 新兴村委会,
220122102208 孙家炉村委会, 220122102209 纪家油房村委会, and the residents' committee 220122102001 哈拉海居委会;
for the adjustments and the confirmation, 220122102216 红旗村委会, 220122102217 柴岗站村委会, 220122102218
顺利村委会 and 220122102219 东明村委会.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.conftest import HANG_GUARD_SECONDS, wait_for

RACE_VILLAGE = "220122102207"
LEGACY_VILLAGE = "220122102208"
LIFECYCLE_VILLAGE = "220122102209"
RESIDENTS_COMMITTEE = "220122102001"
ADJUST_RACE_VILLAGES = ("220122102216", "220122102219")
ADJUST_COUNT_VILLAGE = "220122102217"
ADJUST_GUARD_VILLAGE = "220122102218"
OPEN_LINE = ("proposed", "active")
STARTERS = ("am.nongan", "am2.nongan")


# ------------------------------------------------------------------------------------------ helpers

def _seed(code: str, count: int, *, seed: int, tag: str) -> list[str]:
    """``count`` synthetic households filed (verified) in village ``code``; returns their ids."""
    from infra.synthetic import store_households, village_households_in

    items = store_households([(f"HH-{code}-{tag}{n:03d}", h)
                              for n, h in enumerate(village_households_in(code, count, seed=seed), 1)])
    return [i["household_id"] for i in items]


def _campaign(client, cid: str) -> dict:
    r = client.as_user("am.nongan").get(f"/campaigns/{cid}")
    assert r.status_code == 200, r.text
    return r.json()


def _wait(client, cid: str, statuses: set[str]) -> dict:
    return wait_for(lambda: (lambda c: c if c["status"] in statuses else None)(_campaign(client, cid)),
                    interval=0.5, what=f"campaign {cid} to reach {statuses}")


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

    from chalicelib.rating.service import campaign as svc

    _wait(client, cid, {"awaiting_confirmation"})
    boto3.client("stepfunctions").stop_execution(executionArn=svc.camp_repo.get_unscoped(cid)["execution_arn"],
                                                 error="States.Timeout", cause="test")
    assert svc.close(cid, "expired") == {"status": "expired"}


def _lines(client, household_id: str) -> list[dict]:
    r = client.as_user("am.nongan").get(f"/households/{household_id}/lines")
    assert r.status_code == 200, r.text
    return r.json()["items"]


def _open_lines(client, household_id: str) -> list[dict]:
    return [ln for ln in _lines(client, household_id) if ln["status"] in OPEN_LINE]


def _rating(client, campaign_id: str, household_id: str) -> dict:
    from chalicelib.rating.domain.village_credit import rating_id

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


# ------------------------------------------------------------------------------------------ item 1: races

def test_racing_starts_open_one_campaign_per_village_and_give_one_line_per_household(client):
    """Four starts for one village with different periods, released together by a barrier, three rounds:
    one campaign starts (the others get 409 CAMPAIGN_RUNNING naming it), whatever started is confirmed, and
    no household ends with two proposed-or-active lines. From the second round every household already has
    an active line: it is rated again, gets no second line, and its rating names the line it has."""
    households = _seed(RACE_VILLAGE, 10, seed=1010, tag="R")
    for user in (*STARTERS, "admin.nongan"):
        assert client.as_user(user).get("/me").status_code == 200  # tokens fetched before the race
    first_lines: dict[str, str] = {}
    for rnd in range(3):
        periods = [f"2026-R{rnd}{k}" for k in range(4)]
        barrier = threading.Barrier(len(periods))

        def start(k: int, barrier: threading.Barrier = barrier, periods: list[str] = periods):
            me = client.as_user(STARTERS[k % 2])  # its own HTTP session
            barrier.wait(timeout=HANG_GUARD_SECONDS)
            return _start(me, STARTERS[k % 2], RACE_VILLAGE, periods[k])

        with ThreadPoolExecutor(len(periods)) as pool:
            responses = list(pool.map(start, range(len(periods))))
        started = [r.json()["campaign_id"] for r in responses if r.status_code == 202]
        for cid in started:  # confirm whatever started, then check the invariants
            _confirm(client, cid)
        per_household = {hid: [ln["line_id"] for ln in _open_lines(client, hid)] for hid in households}
        assert {hid: ids for hid, ids in per_household.items() if len(ids) > 1} == {}, f"round {rnd}"
        assert len(started) == 1, f"round {rnd}: {len(started)} campaigns started for one village"
        [cid] = started
        refused = [r for r in responses if r.status_code != 202]
        assert len(refused) == 3 and all(r.status_code == 409 for r in refused), [r.text for r in refused]
        for r in refused:
            error = r.json()["error"]
            assert error["code"] == "CAMPAIGN_RUNNING" and error["fields"][0]["field"] == "village_code"
            assert error["details"]["campaign_id"] == cid
        assert _open_campaigns(client, RACE_VILLAGE) == []
        lined = _with_line(client, cid)
        if rnd == 0:
            assert lined, "the first campaign proposed no line"
            first_lines = lined
            assert per_household == {hid: [lined[hid]] if hid in lined else [] for hid in households}
        else:
            assert lined == {}
            for hid, line_id in first_lines.items():
                rating = _rating(client, cid, hid)
                assert rating.get("line_id") is None and rating["existing_line_id"] == line_id
            assert per_household == {hid: [first_lines[hid]] if hid in first_lines else [] for hid in households}
    # a refused start wrote nothing: only the three winners exist
    items = client.as_user("am.nongan").get(f"/villages/{RACE_VILLAGE}/campaigns").json()["items"]
    assert len(items) == 3


def test_line_slots_hold_when_two_campaigns_rate_one_village_at_once(client):
    """Campaigns started before the village lock existed have no lock item, so two of them may rate the same
    households at the same time (simulated: the first campaign's lock item is deleted right after its start,
    as if it had been started before the upgrade). The household line slots alone must then give every
    household at most one line: each eligible household gets exactly one, from one of the two campaigns,
    and the other campaign's rating names it."""
    from chalicelib.platform import dynamo
    from chalicelib.platform.settings import get_settings
    from chalicelib.rating.data import campaigns as camp_repo

    households = _seed(LEGACY_VILLAGE, 40, seed=2020, tag="L")
    r = _start(client, "am.nongan", LEGACY_VILLAGE, "2026-LA")
    assert r.status_code == 202, r.text
    a = r.json()["campaign_id"]
    dynamo.client().delete_item(TableName=get_settings().core_table,
                                Key=dynamo.to_item(camp_repo.lock_key(LEGACY_VILLAGE)))
    r = _start(client, "am2.nongan", LEGACY_VILLAGE, "2026-LB")
    assert r.status_code == 202, r.text
    b = r.json()["campaign_id"]
    for cid in (a, b):
        c = _wait(client, cid, {"awaiting_confirmation", "failed"})
        assert c["status"] == "awaiting_confirmation", c.get("error")
    lined_a, lined_b = _with_line(client, a), _with_line(client, b)
    assert not set(lined_a) & set(lined_b), "a household got a line from both campaigns"
    eligible = [hid for hid in households if Decimal(_rating(client, a, hid)["proposed_limit"] or 0) > 0]
    assert eligible and set(lined_a) | set(lined_b) == set(eligible)
    for hid in eligible:
        own, other = (a, b) if hid in lined_a else (b, a)
        line_id = (lined_a if own == a else lined_b)[hid]
        assert [ln["line_id"] for ln in _open_lines(client, hid)] == [line_id]
        assert _rating(client, other, hid)["existing_line_id"] == line_id
    for cid in (a, b):
        _confirm(client, cid)
    assert {hid: len(_open_lines(client, hid)) for hid in households} == {
        hid: 1 if hid in eligible else 0 for hid in households}
    assert _open_campaigns(client, LEGACY_VILLAGE) == []


# ------------------------------------------------------------------------------------------ item 1: releases

def test_a_line_slot_is_freed_when_the_line_ends_so_a_later_campaign_can_grant_one(client):
    """Expiry of an unconfirmed campaign, an upheld objection and the daily line expiry each end a line and
    free its household's slot (and a closed campaign frees the village): a later campaign grants that
    household a line again. A household that still has one is rated without a second line, and adjusting
    its rating does not create one either."""
    from functions.jobs.rating_expiry import handler as expiry_job

    households = _seed(LIFECYCLE_VILLAGE, 8, seed=3030, tag="S")

    # 1. an unconfirmed campaign expires: its proposals are withdrawn, the slots and the village freed
    r = _start(client, "am.nongan", LIFECYCLE_VILLAGE, "2026-S1")
    assert r.status_code == 202, r.text
    c1 = r.json()["campaign_id"]
    _wait(client, c1, {"awaiting_confirmation"})
    lined1 = _with_line(client, c1)
    assert len(lined1) >= 3, lined1
    refused = _start(client, "am2.nongan", LIFECYCLE_VILLAGE, "2026-S2")
    assert refused.status_code == 409 and refused.json()["error"]["details"]["campaign_id"] == c1
    _expire(client, c1)
    assert all(_open_lines(client, hid) == [] for hid in households)

    # 2. the next campaign proposes the same households' lines again
    r = _start(client, "am2.nongan", LIFECYCLE_VILLAGE, "2026-S2")
    assert r.status_code == 202, r.text
    c2 = r.json()["campaign_id"]
    _wait(client, c2, {"awaiting_confirmation"})
    lined2 = _with_line(client, c2)
    assert set(lined2) == set(lined1)
    assert all(_rating(client, c2, hid).get("existing_line_id") is None for hid in lined2)

    # 3. an upheld objection withdraws one household's line; the others are activated
    objected, *kept = sorted(lined2)
    r = client.as_user("am.nongan").post(f"/campaigns/{c2}/objections", json={
        "household_id": objected, "raised_by": "村民代表", "reason": "该户已迁出本村"})
    assert r.status_code == 201, r.text
    r = client.as_user("approver.nongan").post(f"/campaigns/{c2}/objections/{r.json()['objection_id']}/decision",
                                               json={"decision": "uphold", "reason": "经核实属实"})
    assert r.status_code == 200, r.text
    assert [ln["status"] for ln in _lines(client, objected) if ln["line_id"] == lined2[objected]] == ["withdrawn"]
    _confirm(client, c2)
    assert {hid: [ln["line_id"] for ln in _open_lines(client, hid)] for hid in kept} == {
        hid: [lined2[hid]] for hid in kept}

    # 4. a third campaign: the objected household gets a line again, the others are rated without a second one
    r = _start(client, "am.nongan", LIFECYCLE_VILLAGE, "2026-S3")
    assert r.status_code == 202, r.text
    c3 = r.json()["campaign_id"]
    _wait(client, c3, {"awaiting_confirmation"})
    assert set(_with_line(client, c3)) == {objected}
    for hid in kept:
        rating = _rating(client, c3, hid)
        assert rating.get("line_id") is None and rating["existing_line_id"] == lined2[hid]
    # an adjustment that keeps the household eligible does not give it a second line
    rating = _rating(client, c3, kept[0])
    target = {"AAA": "AA", "AA": "A", "A": "AA"}[rating["grade"]]
    r = client.as_user("am.nongan").post(f"/ratings/{rating['rating_id']}/adjust",
                                         json={"target_grade": target, "reason": "村委会补充说明"})
    assert r.status_code == 200, r.text
    adjusted = r.json()
    assert Decimal(adjusted["proposed_limit"]) > 0
    assert adjusted.get("line_id") is None and adjusted["existing_line_id"] == lined2[kept[0]]
    r = client.as_user("reviewer.nongan").post(f"/ratings/{rating['rating_id']}/approve", json={"comment": "同意"})
    assert r.status_code == 200, r.text
    _confirm(client, c3)
    assert {hid: len(_open_lines(client, hid)) for hid in lined1} == {hid: 1 for hid in lined1}
    assert [ln["line_id"] for ln in _open_lines(client, kept[0])] == [lined2[kept[0]]]

    # 5. the daily job expires the lines after their validity: the next campaign grants lines again
    valid_to = max(date.fromisoformat(ln["valid_to"]) for hid in lined1 for ln in _open_lines(client, hid))
    assert expiry_job({"business_date": (valid_to + timedelta(days=1)).isoformat()}, None)["lines"] >= len(lined1)
    assert all(_open_lines(client, hid) == [] for hid in households)
    r = _start(client, "am2.nongan", LIFECYCLE_VILLAGE, "2026-S4")
    assert r.status_code == 202, r.text
    c4 = r.json()["campaign_id"]
    _wait(client, c4, {"awaiting_confirmation"})
    assert set(_with_line(client, c4)) == set(lined1)


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

    from chalicelib.platform.clock import business_date

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



# ------------------------------------------------------------------------------------------ adjustments vs confirmation

UP = {"A": "AA", "AA": "AAA"}


def _raisable(client, cid: str) -> list[dict]:
    """Ratings of a campaign (still automatic, not knocked out, with a proposed line) one grade below the top."""
    items = client.as_user("am.nongan").get(f"/campaigns/{cid}/ratings?limit=500").json()["items"]
    return [r for r in items if r["status"] == "auto" and r["grade"] in UP and not r["knocked_out"] and r["line_id"]]


def _started(client, code: str, period: str, households: int, seed: int, tag: str) -> str:
    _seed(code, households, seed=seed, tag=tag)
    r = _start(client, "am.nongan", code, period)
    assert r.status_code == 202, r.text
    cid = r.json()["campaign_id"]
    c = _wait(client, cid, {"awaiting_confirmation", "failed"})
    assert c["status"] == "awaiting_confirmation", c.get("error")
    return cid


def _line(client, line_id: str) -> dict:
    r = client.as_user("am.nongan").get(f"/lines/{line_id}")
    assert r.status_code == 200, r.text
    return r.json()


def _no_unapproved_limit_is_live(client, cid: str) -> None:
    """Every rating of the completed campaign is out of ``auto``/``adjusted``, and every active line belongs to an
    effective rating that was approved: by a reviewer when adjusted, else by the confirmation at the scorecard's
    grade; the line's limit is the one proposed for that approved grade."""
    for summary in client.as_user("am.nongan").get(f"/campaigns/{cid}/ratings?limit=500").json()["items"]:
        rating = _rating(client, cid, summary["household_id"])
        assert rating["status"] not in ("auto", "adjusted"), rating
        if not rating.get("line_id"):
            continue
        line = _line(client, rating["line_id"])
        if line["status"] != "active":
            continue
        assert rating["status"] == "effective", (rating, line)
        if rating["grade"] != rating["auto_grade"]:
            assert rating["approval_basis"] == "review" and rating["approved_by"] != rating["adjusted_by"], rating
        else:
            assert rating["approval_basis"] in ("review", "campaign_confirmation"), rating
        assert (line["grade"], Decimal(line["limit"])) == (rating["grade"], Decimal(rating["proposed_limit"]))


@pytest.mark.parametrize("village, first_after", [(ADJUST_RACE_VILLAGES[0], 0.0), (ADJUST_RACE_VILLAGES[1], 0.05)])
def test_an_adjustment_and_the_confirmation_never_both_succeed(client, village, first_after):
    """The probe's race: the institution confirms while the account manager files grade raises, 50 ms apart.
    Before the fix the confirmation answered 200 and the adjustments that had read the campaign before it was
    confirmed answered 200 too: their ratings stayed ``adjusted``, never approved, while their lines went live at
    the raised limits. Now the campaign item decides: either the confirmation wins and every adjustment is refused
    (409 CAMPAIGN_ALREADY_CONFIRMED), or an adjustment wins and the confirmation is refused (409
    ADJUSTMENTS_PENDING) until a reviewer approved it. No limit goes live without approval either way.
    The first adjustment starts with the confirmation or ``first_after`` seconds later: measured on the local
    stack, the first lets an adjustment win, the second the confirmation, with adjustments in flight that read
    the campaign before it was confirmed (refused by the campaign item's condition, not by their read)."""
    cid = _started(client, village, "2026-A1", 30, seed=5050, tag="A")
    targets = _raisable(client, cid)[:6]
    assert len(targets) >= 4, "the seeded village has too few households one grade below the top"
    for user in ("am.nongan", "admin.nongan", "reviewer.nongan"):
        assert client.as_user(user).get("/me").status_code == 200  # tokens fetched before the race
    barrier = threading.Barrier(1 + len(targets))

    def confirm():
        me = client.as_user("admin.nongan")
        barrier.wait(timeout=HANG_GUARD_SECONDS)
        return me.post(f"/campaigns/{cid}/confirm", json={"comment": "公示期满"})

    def adjust(k: int):
        me = client.as_user("am.nongan")
        rating = targets[k]
        barrier.wait(timeout=HANG_GUARD_SECONDS)
        time.sleep(first_after + 0.05 * k)  # spread as the probe did (not what the test waits on)
        return me.post(f"/ratings/{rating['rating_id']}/adjust",
                       json={"target_grade": UP[rating["grade"]], "reason": "村委会推荐，经营规模扩大"})

    with ThreadPoolExecutor(1 + len(targets)) as pool:
        confirmed = pool.submit(confirm)
        adjusted = [pool.submit(adjust, k) for k in range(len(targets))]
        confirmed, adjusted = confirmed.result(), [f.result() for f in adjusted]
    codes = [(r.status_code, r.json().get("error", {}).get("code")) for r in adjusted]
    if confirmed.status_code == 200:
        assert codes == [(409, "CAMPAIGN_ALREADY_CONFIRMED")] * len(targets), codes
    else:
        assert (confirmed.status_code, confirmed.json()["error"]["code"]) == (409, "ADJUSTMENTS_PENDING"), \
            confirmed.text
        assert codes == [(200, None)] * len(targets), codes
        for rating in targets:  # a reviewer approves, then the institution confirms
            r = client.as_user("reviewer.nongan").post(f"/ratings/{rating['rating_id']}/approve", json={})
            assert r.status_code == 200, r.text
        r = client.as_user("admin.nongan").post(f"/campaigns/{cid}/confirm", json={"comment": "复核后确认"})
        assert r.status_code == 200, r.text
    done = _wait(client, cid, {"completed", "failed"})
    assert done["status"] == "completed", done.get("error")
    _no_unapproved_limit_is_live(client, cid)
    late = client.as_user("am.nongan").post(f"/ratings/{targets[0]['rating_id']}/adjust",
                                            json={"target_grade": UP[targets[0]["grade"]], "reason": "补充调整"})
    assert late.status_code == 409, late.text


def test_approval_objection_and_reversal_each_settle_an_adjustment_for_the_confirmation(client):
    """The campaign counts adjusted ratings waiting for a reviewer in the transactions that change them: an
    adjustment counts one, a reviewer's approval, an upheld objection against the household and an adjustment
    back to the scorecard's grade each settle one. The confirmation is refused while one is pending and goes
    through once all are settled (a count that missed one of these paths would block it for ever)."""
    cid = _started(client, ADJUST_COUNT_VILLAGE, "2026-C1", 20, seed=6060, tag="C")
    approved, objected, reverted = _raisable(client, cid)[:3]
    am, admin = client.as_user("am.nongan"), client.as_user("admin.nongan")
    for rating in (approved, objected, reverted):
        r = am.post(f"/ratings/{rating['rating_id']}/adjust",
                    json={"target_grade": UP[rating["grade"]], "reason": "村委会推荐"})
        assert r.status_code == 200 and r.json()["status"] == "adjusted", r.text

    def refused_while(pending: set[str]) -> None:
        r = admin.post(f"/campaigns/{cid}/confirm", json={})
        assert (r.status_code, r.json()["error"]["code"]) == (409, "ADJUSTMENTS_PENDING"), r.text
        assert set(r.json()["error"]["details"]["rating_ids"]) == pending

    refused_while({approved["rating_id"], objected["rating_id"], reverted["rating_id"]})
    r = client.as_user("reviewer.nongan").post(f"/ratings/{approved['rating_id']}/approve", json={"comment": "同意"})
    assert r.status_code == 200, r.text
    refused_while({objected["rating_id"], reverted["rating_id"]})
    r = am.post(f"/campaigns/{cid}/objections", json={"household_id": objected["household_id"],
                                                      "raised_by": "村民代表", "reason": "该户已迁出本村"})
    assert r.status_code == 201, r.text
    r = client.as_user("approver.nongan").post(f"/campaigns/{cid}/objections/{r.json()['objection_id']}/decision",
                                               json={"decision": "uphold", "reason": "经核实属实"})
    assert r.status_code == 200, r.text
    refused_while({reverted["rating_id"]})
    r = am.post(f"/ratings/{reverted['rating_id']}/adjust",
                json={"target_grade": reverted["grade"], "reason": "恢复系统评级"})
    assert r.status_code == 200 and r.json()["status"] == "auto", r.text
    r = admin.post(f"/campaigns/{cid}/confirm", json={"comment": "公示期满"})
    assert r.status_code == 200, r.text
    done = _wait(client, cid, {"completed", "failed"})
    assert done["status"] == "completed", done.get("error")
    _no_unapproved_limit_is_live(client, cid)
    final = {rating["rating_id"]: _rating(client, cid, rating["household_id"])
             for rating in (approved, objected, reverted)}
    assert [(final[r["rating_id"]]["status"], final[r["rating_id"]]["grade"]) for r in (approved, objected, reverted)] \
        == [("effective", UP[approved["grade"]]), ("withdrawn", UP[objected["grade"]]),
            ("effective", reverted["grade"])]
    assert _line(client, approved["line_id"])["status"] == "active"
    assert _line(client, objected["line_id"])["status"] == "withdrawn"


def test_activation_never_makes_an_unapproved_adjusted_limit_live(client):
    """Belt and braces under the confirmation's condition: should activation ever meet a rating still
    ``adjusted`` (a campaign confirmed before the count of pending adjustments existed), it withdraws that
    rating and its line instead of activating the line at the adjusted limit; the other lines go live. Driven
    by calling the workflow's activation step directly, since the API can no longer produce that state."""
    import boto3

    from chalicelib.rating.service import campaign as svc

    cid = _started(client, ADJUST_GUARD_VILLAGE, "2026-G1", 12, seed=7070, tag="G")
    target, *_ = _raisable(client, cid)
    r = client.as_user("am.nongan").post(f"/ratings/{target['rating_id']}/adjust",
                                         json={"target_grade": UP[target["grade"]], "reason": "村委会推荐"})
    assert r.status_code == 200 and r.json()["status"] == "adjusted", r.text
    others = {hid: line_id for hid, line_id in _with_line(client, cid).items() if hid != target["household_id"]}
    assert others
    boto3.client("stepfunctions").stop_execution(executionArn=svc.camp_repo.get_unscoped(cid)["execution_arn"],
                                                 error="Test", cause="activation driven by the test")
    svc.activate(cid, {"confirmed_by": "system:test"})
    rating = _rating(client, cid, target["household_id"])
    assert (rating["status"], rating["withdrawn_reason"]) == ("withdrawn", "ADJUSTMENT_NOT_APPROVED"), rating
    line = _line(client, target["line_id"])
    assert (line["status"], line["withdrawn_reason"]) == ("withdrawn", "ADJUSTMENT_NOT_APPROVED"), line
    assert {hid: _line(client, line_id)["status"] for hid, line_id in others.items()} == {
        hid: "active" for hid in others}
