"""Whole-village credit campaign on the local stack, for the real village 220122102202 (二道沟村委会,
哈拉海镇, 农安县): roster import → households submitted → campaign (state machine: rate + propose per
household, village evaluation, public notice, wait for confirmation) → adjustments, objections →
institution confirms → lines activated → idempotent re-run. Plus separation of duties, farmer scope,
the statistical challenger and a second village.

The tests of the campaign share one campaign (``scenario``), told as a :class:`tests.story.Story`: each test runs its
step
after the steps before it (once each), so every test stands alone and any order gives the same steps in order.
"""
from __future__ import annotations

import copy
import csv
import io
import json
import re
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from tests.conftest import HANG_GUARD_SECONDS, wait_for
from tests.pdf_support import pdf_fonts, pdf_text
from tests.story import Story

VILLAGE = "220122102202"
SECOND_VILLAGE = "220122102203"  # 三道沟村委会, same township and outlet
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MASKED_ID = re.compile(r"^\d{6}\*{8}[\dX]{4}$")
#: The top household's head bears a name a spreadsheet would run as a formula (OWASP CSV Injection): it
#: goes through the roster CSV, the import and the public notice CSV and must come out as text.
HOSTILE_HEAD = '=HYPERLINK("http://x.cn","点此")'


# ------------------------------------------------------------------------------------------ helpers

def _member(relation, name, born, seq, male, capacity="full"):
    from infra.synthetic import resident_id

    return {"relation": relation, "name": name, "gender": "male" if male else "female",
            "birth_date": born.isoformat(), "resident_id": resident_id("220122", born, seq, male),
            "labour_capacity": capacity}


def _money(**kw):
    return {k: Decimal(v).quantize(Decimal("0.01")) for k, v in kw.items()}


def _special_households(today: date) -> dict[str, dict]:
    """Hand-made households whose outcome is known without the village averages' fine detail."""
    def born(years, days=40):
        return today - timedelta(days=365 * years + days)

    base_assets = dict(house_area_m2=Decimal(100), contracted_land_mu=Decimal("20.00"),
                       transferred_in_land_mu=Decimal("0.00"))
    top = {"village_code": VILLAGE, "village_group": "一组",
           "members": [_member("head", HOSTILE_HEAD, born(45), 811, True), _member("spouse", "林秀英", born(43), 812, False),
                       _member("child", "郝志刚", born(22), 813, True), _member("child", "郝志敏", born(20), 814, False),
                       _member("parent", "郝长山", born(70), 815, True, "partial")],
           "assets": {**base_assets, **_money(house_value=300000, livestock_value=200000, machinery_value=300000,
                                              vehicles_value=100000, deposits=200000, credit_union_shares=12000)},
           "liabilities": _money(bank_loans=0, informal_borrowing=0),
           "income": _money(crops=150000, livestock=60000, business=0, wages=30000, subsidies=3000),
           "expenses": _money(production=20000, living=30000, other=0),
           "committee_assessment": "excellent", "repayment_record": "good", "blacklisted": False}
    black = copy.deepcopy(top)
    black["members"] = [_member("head", "钱有财", born(40), 821, True), _member("spouse", "孙桂兰", born(39), 822, False)]
    black["blacklisted"] = True
    old = copy.deepcopy(top)
    old["members"] = [_member("head", "祁老汉", born(70), 831, True, "partial"),
                      _member("spouse", "祁老伴", born(68), 832, False, "partial")]
    unassessed = copy.deepcopy(top)
    unassessed["members"] = [_member("head", "包未评", born(38), 841, True), _member("spouse", "曹未评", born(36), 842, False)]
    unassessed["committee_assessment"] = None
    return {"top": top, "black": black, "old": old, "unassessed": unassessed}


def _roster_bytes(households: list[dict]) -> bytes:
    from infra.synthetic import roster_csv

    data = roster_csv([{**h, "committee_assessment": h["committee_assessment"] or "good"} for h in households])
    # the unassessed household: blank its 村委评议 cell (roster_csv needs a word; the file may leave it empty)
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    col = rows[0].index("村委评议")
    for n, h in enumerate(households, 1):
        if h["committee_assessment"] is None:
            for r in rows[1:]:
                if r[0] == f"{n:04d}" and r[1] == "户主":
                    r[col] = ""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _principal(client, user: str):
    from chalicelib.platform.access import Principal

    me = client.as_user(user).get("/me").json()
    return Principal(user_id=me["user_id"], username=me["username"], role=me["role"], org_id=me["org_id"],
                     org_path=me["org_path"], household_id=me.get("household_id"))


def _campaign(client, cid, user="am.nongan"):
    r = client.as_user(user).get(f"/campaigns/{cid}")
    assert r.status_code == 200, r.text
    return r.json()


def _wait_status(client, cid, statuses):
    return wait_for(lambda: (lambda c: c if c["status"] in statuses else None)(_campaign(client, cid)),
                    interval=0.5, what=f"campaign {cid} to reach {statuses}")


def _download(client, cid, fmt):
    r = client.as_user("am.nongan").get(f"/campaigns/{cid}/notice?format={fmt}")
    assert r.status_code == 200, r.text
    body = requests.get(r.json()["url"], timeout=HANG_GUARD_SECONDS)
    assert body.status_code == 200
    return r.json(), body.content


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _rating(client, household_id, user="am.nongan"):
    r = client.as_user(user).get(f"/households/{household_id}/rating")
    assert r.status_code == 200, r.text
    return r.json()


def _lines(client, household_id, user="am.nongan"):
    r = client.as_user(user).get(f"/households/{household_id}/lines")
    assert r.status_code == 200, r.text
    return r.json()["items"]


def _expected(config: dict, households: list[dict], today: date):
    """Expected outcome per household from the stored household files and the campaign's snapshot."""
    from chalicelib.rating.domain import village_credit as vc
    from chalicelib.rating.domain.rating_input import village_averages

    docs = config["documents"]
    pol = vc.Policies.from_documents(scorecard=docs["scorecard"], credit_line=docs["credit_line"],
                                     products=docs["products"], evaluation=docs["evaluation"])
    inputs, bad = vc.inputs_for(households, today=today, term_years=pol.requested_term_years)
    avg = village_averages(inputs.values())
    out = {h["household_id"]: vc.rate_household(h, avg, pol, today=today, rating_input=inputs[h["household_id"]])
           for h in households if h["household_id"] in inputs}
    return out, bad, avg, pol


# ------------------------------------------------------------------------------------------ scenario

@pytest.fixture(scope="module")
def scenario(stack, client):
    """Import a roster of 30 synthetic + 4 hand-made households, submit them, start the campaign."""
    from chalicelib.customers.service import households as hh_repo
    from chalicelib.customers.service.roster_import import import_roster
    from chalicelib.platform.clock import business_date
    from infra.synthetic import village_households_in

    today = business_date()
    special = _special_households(today)
    synthetic = village_households_in(VILLAGE, 30, seed=20261129, today=today)
    roster = [*synthetic, *special.values()]
    am = _principal(client, "am.nongan")
    report = import_roster(am, VILLAGE, _roster_bytes(roster), "roster_220122102202.csv")
    assert report["counts"]["invalid"] == 0 and report["counts"]["conflict"] == 0, report["errors"][:5]
    ids = [h["household_id"] for h in sorted(report["households"], key=lambda h: h["rows"][0])]
    assert len(ids) == len(roster)
    for hid in ids:
        stored = hh_repo.get_unscoped(hid)
        if stored["status"] == "draft":
            hh_repo.set_status(am, hid, "submitted", expected_version=stored["version"])
    names = {k: ids[len(synthetic) + n] for n, k in enumerate(special)}
    id_numbers = [m["resident_id"] for h in roster for m in h["members"]]
    # the roster file numbers its households 0001, 0002, ... in file order (infra.synthetic.roster_csv)
    numbers = {hid: f"{n:04d}" for n, hid in enumerate(ids, 1)}
    groups = {hid: h["village_group"] for hid, h in zip(ids, roster, strict=True)}
    assert {hh_repo.get_unscoped(hid).get("household_no") for hid in ids} == set(numbers.values())

    r = client.as_user("am.nongan").post("/campaigns", json={"village_code": VILLAGE})
    assert r.status_code == 202, r.text
    started = r.json()
    again = client.as_user("am.nongan").post("/campaigns", json={"village_code": VILLAGE})
    assert again.status_code == 200 and again.json()["campaign_id"] == started["campaign_id"]
    assert again.json()["created"] is False
    return {"cid": started["campaign_id"], "ids": ids, "special": names, "today": today,
            "id_numbers": id_numbers, "am": am, "numbers": numbers, "groups": groups}


@pytest.fixture(scope="module")
def story(client, scenario, stack) -> Story:
    steps = ("rates", "hand_made", "evaluation", "notice", "adjustments", "objections", "confirmation", "rerun",
             "expiry")
    return Story([(name, globals()[f"_{name}"], {}) for name in steps], client=client, scenario=scenario,
                 stack=stack)


def test_campaign_rates_every_household_and_records_failures(story):
    story.run("rates")


def test_hand_made_households_get_the_published_form_outcome(story):
    story.run("hand_made")


def test_village_evaluation_is_stored_with_the_campaign(story):
    story.run("evaluation")


def test_notice_lists_proposed_lines_with_masked_ids(story):
    story.run("notice")


def test_adjustment_needs_a_reason_one_grade_and_a_second_person(story):
    story.run("adjustments")


def test_objections_are_recorded_and_decided(story):
    story.run("objections")


def test_the_institution_confirms_and_lines_go_live(story):
    story.run("confirmation")


def test_rerunning_the_campaign_is_idempotent(story):
    story.run("rerun")


def test_ratings_expire_after_their_validity(story):
    story.run("expiry")



def _rates(client, scenario, stack):
    from chalicelib.customers import public as hh_repo
    from chalicelib.rating.data import campaigns as camp_repo

    cid = scenario["cid"]
    assert cid == f"VC-{VILLAGE}-{scenario['today'].year}"
    c = _wait_status(client, cid, {"awaiting_confirmation", "failed"})
    assert c["status"] == "awaiting_confirmation", c.get("error")
    assert (c["village_name"], c["township_name"], c["county_name"]) == ("二道沟村委会", "哈拉海镇", "农安县")
    village = hh_repo.list_by_village(VILLAGE)
    rateable = [h for h in village if h.get("status") in ("submitted", "verified")]
    assert c["total"] == len(rateable) and c["skipped"] == len(village) - len(rateable)
    # the unassessed household is recorded as a failure; the campaign went on
    mine = set(scenario["ids"])
    assert [(f["household_id"], f["code"]) for f in c["failures"] if f["household_id"] in mine] == [
        (scenario["special"]["unassessed"], "RATING_FACT_MISSING")]
    assert c["rated"] == c["total"] - c["failed"] and c["failed"] == len(c["failures"]) >= 1
    assert c["progress"] == "1.0000" and sum(c["by_grade"].values()) == c["rated"]

    config = camp_repo.get_config(cid)
    expected, bad, avg, _ = _expected(config, rateable, date.fromisoformat(config["rated_on"]))
    assert {k: v for k, v in bad.items() if k in mine} == {scenario["special"]["unassessed"]: "RATING_FACT_MISSING"}
    assert Decimal(str(config["averages"]["net_income"])) == avg.net_income
    for hid in scenario["ids"]:
        if hid == scenario["special"]["unassessed"]:
            assert client.as_user("am.nongan").get(f"/households/{hid}/rating").status_code == 404
            continue
        got, exp = _rating(client, hid), expected[hid]
        assert got["status"] == "auto" and got["campaign_id"] == cid
        assert (got["grade"], Decimal(got["score"])) == (exp.score.grade, exp.score.total_score), hid
        assert Decimal(got["proposed_limit"]) == exp.proposal.master_limit, hid
        assert sum(Decimal(p["points"]) for p in got["points"]) == Decimal(got["score"])
        assert got["parameter_versions"]["scorecard_expert"] >= 1
        lines = _lines(client, hid)
        if exp.proposal.eligible:
            assert [ln["status"] for ln in lines] == ["proposed"]
            assert {s["product_code"]: Decimal(s["limit"]) for s in lines[0]["sub_lines"]} == {
                s.product_id: s.limit for s in exp.proposal.sub_lines}
        else:
            assert lines == [] and got.get("line_id") is None
    assert c["lines_proposed"] == sum(1 for e in expected.values() if e.proposal.eligible)
    assert Decimal(c["limit_total"]) == sum(e.proposal.master_limit for e in expected.values())


def _hand_made(client, scenario, stack):
    s = scenario["special"]
    top = _rating(client, s["top"])
    # size 5 → 8, labourers 4 → 8, assets/net assets/income far above the village mean → 13/13/14,
    # shares 12,000 → 4, excellent → 30, good record → 10: 100 points, AAA
    assert (Decimal(top["score"]), top["grade"], top["knocked_out"]) == (Decimal(100), "AAA", [])
    # capacity 50,000 + 0.3 × 1,112,000 + (243,000 − 50,000) = 576,600 > AAA cap 300,000 (= regulatory cap)
    assert Decimal(top["proposed_limit"]) == Decimal(300000) and top["binding_constraint"] == "GRADE_CAP"
    [line] = _lines(client, s["top"])
    assert {x["product_code"]: Decimal(x["limit"]) for x in line["sub_lines"]} == {"NH_XYD": 300000, "NH_DBD": 200000}
    black = _rating(client, s["black"])
    assert (black["grade"], black["knocked_out"], black.get("line_id")) == ("NONE", ["BLACKLISTED"], None)
    assert black["grade_by_score"] != "NONE"  # the points are still explained
    old = _rating(client, s["old"])
    assert old["grade"] == "NONE" and old["knocked_out"] == ["HEAD_AGE_ABOVE_MAX", "AGE_PLUS_TERM_EXCEEDED"]


def _evaluation(client, scenario, stack):
    cid = scenario["cid"]
    c = _campaign(client, cid)
    ratings = client.as_user("am.nongan").get(f"/campaigns/{cid}/ratings?limit=500").json()["items"]
    credit = sum(1 for r in ratings if r["is_credit_household"])
    facts = c["evaluation"]["facts"]
    assert facts["credit_household_count"] == credit
    assert facts["household_count"] == c["total"] + c["skipped"]
    ratio = Decimal(credit) / Decimal(facts["household_count"])
    assert Decimal(c["evaluation"]["credit_household_ratio"]) == ratio.quantize(Decimal("0.000001"), "ROUND_DOWN")
    low = "CREDIT_HOUSEHOLD_RATIO_LOW" in c["evaluation"]["failed"]
    assert low == (credit < Decimal("0.7") * facts["household_count"])
    assert c["evaluation"]["is_credit_village"] == (not c["evaluation"]["failed"])
    hist = client.as_user("admin.nongan").get(f"/villages/{VILLAGE}/evaluations").json()["items"]
    assert cid in [e["campaign_id"] for e in hist]
    town = client.as_user("admin.nongan").get("/townships/220122102/evaluations").json()["items"]
    mine = [t for t in town if t["campaign_id"] == cid]
    assert mine and mine[0]["village_count"] == 26  # 哈拉海镇: 26 村委会 in the NBS 2023 list (…200-…225)
    assert client.as_user("am.yushu").get(f"/villages/{VILLAGE}/evaluations").json()["items"] == []


def _notice(client, scenario, stack):
    cid = scenario["cid"]
    assert _wait_status(client, cid, {"awaiting_confirmation", "failed"})["status"] == "awaiting_confirmation"
    info, data = _download(client, cid, "csv")
    rows = _csv_rows(data)
    assert rows[0] == ["序号", "村民小组", "户编号", "户主姓名", "身份证号", "信用等级", "拟授信额度(元)"]
    ratings = client.as_user("am.nongan").get(f"/campaigns/{cid}/ratings?limit=500").json()["items"]
    with_line = [r["household_id"] for r in ratings if Decimal(r["proposed_limit"]) > 0]
    # the roster's household numbers, by village group (一组 = 1, "5组" = 5), then number
    group_no = {"一组": 1, **{f"{k}组": k for k in range(1, 9)}}
    expected = sorted(with_line, key=lambda h: (group_no[scenario["groups"][h]], int(scenario["numbers"][h])))
    assert [(r[1], r[2]) for r in rows[1:]] == [(scenario["groups"][h], scenario["numbers"][h]) for h in expected]
    assert [r[0] for r in rows[1:]] == [str(n) for n in range(1, len(expected) + 1)]
    assert all(MASKED_ID.match(r[4]) for r in rows[1:])
    text = data.decode("utf-8-sig")
    assert not any(number in text for number in scenario["id_numbers"])  # no full ID number anywhere
    assert not any(hid in text for hid in scenario["ids"])  # no internal household id either
    top = next(r for r in rows[1:] if r[2] == scenario["numbers"][scenario["special"]["top"]])
    assert top[3:7] == ["'" + HOSTILE_HEAD, top[4], "AAA", "300000"] and top[4].startswith("220122")
    stored = client.as_user("am.nongan").get(f"/households/{scenario['special']['top']}").json()
    assert stored["members"][0]["name"] == HOSTILE_HEAD  # stored as typed; neutralised where CSV is written
    assert not any(c[:1] in ("=", "+", "-", "@", "\t", "\r") for r in rows for c in r)
    assert "钱有财" not in text  # blacklisted: no line → not on the list
    assert info["notice_until"] == (date.fromisoformat(info["notice_from"]) + timedelta(days=6)).isoformat()
    _, pdf = _download(client, cid, "pdf")
    assert pdf.startswith(b"%PDF") and all(f.embedded for f in pdf_fonts(pdf))
    pdf_rows = pdf_text(pdf)
    assert HOSTILE_HEAD in pdf_rows.replace("\n", "") and "二道沟村委会 整村授信公示名单" in pdf_rows


def _adjustments(client, scenario, stack):
    from infra.seed import DemoUser, login, seed_users

    cid = scenario["cid"]
    ratings = client.as_user("am.nongan").get(f"/campaigns/{cid}/ratings?limit=500").json()["items"]
    a_grade = sorted((r for r in ratings if r["grade"] == "A" and not r["knocked_out"]),
                     key=lambda r: r["household_id"])
    assert len(a_grade) >= 3
    target, rotated = a_grade[0], a_grade[1]
    scenario["adjusted"], scenario["rotated"] = target["household_id"], rotated["household_id"]
    am = client.as_user("am.nongan")
    too_far = am.post(f"/ratings/{target['rating_id']}/adjust", json={"target_grade": "AAA", "reason": "强烈推荐户"})
    assert too_far.status_code == 422 and too_far.json()["error"]["code"] == "RATING_ADJUST_TOO_FAR"
    r = am.post(f"/ratings/{target['rating_id']}/adjust",
                json={"target_grade": "AA", "reason": "村委会证明其新建养殖场已投产", "version": target["version"]})
    assert r.status_code == 200, r.text
    adj = r.json()
    assert (adj["status"], adj["grade"], adj["auto_grade"]) == ("adjusted", "AA", "A")
    # the line follows: AA terms (base 30,000, cap 200,000) and the NH_DBD sub-line opens
    f = adj["figures"]
    capacity = Decimal(30000) + Decimal("0.3") * Decimal(str(f["net_assets"])) + Decimal(str(f["net_income"]))
    expected = min(capacity, Decimal(200000)) // 1000 * 1000
    assert Decimal(adj["proposed_limit"]) == expected
    [line] = _lines(client, target["household_id"])
    assert line["grade"] == "AA" and Decimal(line["limit"]) == expected
    assert "NH_DBD" in {s["product_code"] for s in line["sub_lines"]}
    stale = am.post(f"/ratings/{target['rating_id']}/adjust",
                    json={"target_grade": "A", "reason": "撤回调整", "version": target["version"]})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "VERSION_CONFLICT"
    # the notice was regenerated with the adjusted limit
    _, data = _download(client, cid, "csv")
    row = next(r for r in _csv_rows(data)[1:] if r[2] == scenario["numbers"][target["household_id"]])
    assert (row[5], Decimal(row[6])) == ("AA", expected)
    assert _campaign(client, cid)["notice"]["revision"] >= 2

    # separation of duties across a staff rotation: the adjuster, later a reviewer, may not approve
    username = f"rotating.{uuid.uuid4().hex[:8]}"
    seed_users(stack.endpoint, stack.env["USER_POOL_ID"], [DemoUser(username, "account_manager",
                                                                    scenario["am"].org_id)])
    token = login(stack.endpoint, stack.env["USER_POOL_CLIENT_ID"], username)
    hdr = {"Authorization": f"Bearer {token}"}
    r = client.post(f"/ratings/{rotated['rating_id']}/adjust", headers=hdr,
                    json={"target_grade": "AA", "reason": "合作社理事长担保"})
    assert r.status_code == 200, r.text
    seed_users(stack.endpoint, stack.env["USER_POOL_ID"], [DemoUser(username, "reviewer", "JL-220122")])
    token = login(stack.endpoint, stack.env["USER_POOL_CLIENT_ID"], username)
    r = client.post(f"/ratings/{rotated['rating_id']}/approve", headers={"Authorization": f"Bearer {token}"},
                    json={"comment": "同意"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "SEPARATION_OF_DUTIES"

    # confirmation waits for the reviewer
    r = client.as_user("admin.nongan").post(f"/campaigns/{cid}/confirm", json={"comment": "公示无异议"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "ADJUSTMENTS_PENDING"
    for rid in (target["rating_id"], rotated["rating_id"]):
        r = client.as_user("reviewer.nongan").post(f"/ratings/{rid}/approve", json={"comment": "情况属实"})
        assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    assert client.as_user("am.nongan").post(f"/ratings/{target['rating_id']}/approve",
                                            json={}).json()["error"]["code"] == "PERMISSION_DENIED"


def _objections(client, scenario, stack):
    cid = scenario["cid"]
    ratings = client.as_user("am.nongan").get(f"/campaigns/{cid}/ratings?limit=500").json()["items"]
    candidates = sorted((r for r in ratings if r["status"] == "auto" and Decimal(r["proposed_limit"]) > 0
                         and r["household_id"] not in scenario["special"].values()),
                        key=lambda r: r["household_id"])
    upheld, dismissed = candidates[0], candidates[1]
    scenario["upheld"], scenario["dismissed"] = upheld["household_id"], dismissed["household_id"]
    am = client.as_user("am.nongan")
    made = {}
    for r, why in ((upheld, "该户长期在外赌博，村民联名反映"), (dismissed, "邻里纠纷，反映其收入偏高")):
        resp = am.post(f"/campaigns/{cid}/objections", json={"household_id": r["household_id"],
                                                             "raised_by": "二组村民代表", "reason": why})
        assert resp.status_code == 201 and resp.json()["status"] == "open", resp.text
        made[r["household_id"]] = resp.json()["objection_id"]
    unknown = am.post(f"/campaigns/{cid}/objections", json={"household_id": "HH-NOT-THERE", "raised_by": "x",
                                                            "reason": "不在名单"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "HOUSEHOLD_NOT_IN_CAMPAIGN"
    r = client.as_user("admin.nongan").post(f"/campaigns/{cid}/confirm", json={})
    assert r.status_code == 409 and r.json()["error"]["code"] == "OBJECTIONS_OPEN"
    approver = client.as_user("approver.nongan")
    r = approver.post(f"/campaigns/{cid}/objections/{made[upheld['household_id']]}/decision",
                      json={"decision": "uphold", "reason": "经村委会核实属实"})
    assert r.status_code == 200 and r.json()["status"] == "upheld", r.text
    r = approver.post(f"/campaigns/{cid}/objections/{made[dismissed['household_id']]}/decision",
                      json={"decision": "dismiss", "reason": "经核实收入属实"})
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    again = approver.post(f"/campaigns/{cid}/objections/{made[upheld['household_id']]}/decision",
                          json={"decision": "dismiss", "reason": "重复"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "OBJECTION_DECIDED"
    assert _rating(client, upheld["household_id"])["status"] == "withdrawn"
    assert [ln["status"] for ln in _lines(client, upheld["household_id"])] == ["withdrawn"]
    _, data = _download(client, cid, "csv")
    assert scenario["numbers"][upheld["household_id"]] not in [r[2] for r in _csv_rows(data)[1:]]
    listed = client.as_user("auditor").get(f"/campaigns/{cid}/objections").json()["items"]
    assert {o["status"] for o in listed} == {"upheld", "dismissed"}


def _confirmation(client, scenario, stack):
    cid = scenario["cid"]
    assert client.as_user("am.nongan").post(f"/campaigns/{cid}/confirm",
                                            json={}).json()["error"]["code"] == "PERMISSION_DENIED"
    before = {r["household_id"]: r for r in
              client.as_user("am.nongan").get(f"/campaigns/{cid}/ratings?limit=500").json()["items"]}
    r = client.as_user("admin.nongan").post(f"/campaigns/{cid}/confirm", json={"comment": "公示期满，无异议"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] in ("activating", "completed")
    c = _wait_status(client, cid, {"completed", "failed"})
    assert c["status"] == "completed" and c["execution_status"] == "SUCCEEDED"
    admin_id = _principal(client, "admin.nongan").user_id
    notice_until = date.fromisoformat(c["notice"]["notice_until"])
    valid_from = max(notice_until + timedelta(days=1), scenario["today"])
    assert c["lines_valid_from"] == valid_from.isoformat()
    active = 0
    for hid, old in before.items():
        rating = _rating(client, hid)
        lines = _lines(client, hid)
        if hid == scenario["upheld"]:
            assert rating["status"] == "withdrawn" and [ln["status"] for ln in lines] == ["withdrawn"]
            continue
        assert rating["status"] == "effective" and rating["valid_from"] == valid_from.isoformat()
        assert rating["valid_to"] == (valid_from.replace(year=valid_from.year + 1) - timedelta(days=1)).isoformat()
        if hid in (scenario["adjusted"], scenario["rotated"]):
            assert rating["approval_basis"] == "review" and rating["approved_by"] != admin_id
        else:
            assert (rating["approved_by"], rating["approval_basis"]) == (admin_id, "campaign_confirmation")
        if Decimal(old["proposed_limit"]) > 0:
            [line] = lines
            assert line["status"] == "active" and Decimal(line["available"]) == Decimal(line["limit"])
            assert line["valid_from"] == valid_from.isoformat()
            assert line["valid_to"] == (valid_from.replace(year=valid_from.year + 3) - timedelta(days=1)).isoformat()
            assert all(Decimal(s["available"]) == Decimal(s["limit"]) for s in line["sub_lines"])
            active += 1
        else:
            assert lines == []
    assert (c["activated"], c["withdrawn"]) == (active, 1)
    trail = client.as_user("admin.nongan").get(f"/audit/rating/{before[scenario['adjusted']]['rating_id']}")
    actions = [a["action"] for a in trail.json()["items"]]
    assert actions == ["rating.created", "rating.adjusted", "rating.approved", "rating.effective"]


def _rerun(client, scenario, stack):
    import boto3

    from chalicelib.platform.settings import get_settings
    from chalicelib.rating.data import credit_lines, ratings

    cid = scenario["cid"]

    def snapshot():
        rs = {r["rating_id"]: (r["status"], r["grade"], str(r["proposed_limit"]), r["version"])
              for r in ratings.list_for_campaign(cid)}
        ls = {ln["line_id"]: (ln["status"], str(ln["limit"]), str(ln["available"]), ln["version"])
              for ln in credit_lines.list_for_campaign(cid)}
        return rs, ls

    before = snapshot()
    _, csv_before = _download(client, cid, "csv")
    r = client.as_user("am.nongan").post("/campaigns", json={"village_code": VILLAGE})
    assert r.status_code == 200 and r.json()["created"] is False and r.json()["status"] == "completed"
    sfn = boto3.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=get_settings().campaign_state_machine_arn, name=f"{cid}-rerun",
                              input=json.dumps({"campaign_id": cid}))["executionArn"]
    done = wait_for(lambda: (lambda d: d if d["status"] != "RUNNING" else None)(
        sfn.describe_execution(executionArn=arn)), interval=0.5, what="the re-run")
    assert done["status"] == "SUCCEEDED", done
    assert snapshot() == before
    _, csv_after = _download(client, cid, "csv")
    assert _csv_rows(csv_after) == _csv_rows(csv_before)
    c = _campaign(client, cid)
    assert c["status"] == "completed" and c["rated"] == len(before[0])
    assert [f["code"] for f in c["failures"] if f["household_id"] in scenario["ids"]] == ["RATING_FACT_MISSING"]


def test_farmers_see_only_their_own_rating_and_line(client, scenario, stack):
    from infra.seed import DemoUser, login, seed_users

    own, other = scenario["special"]["top"], scenario["special"]["black"]
    # the scenario only starts the campaign: run alone, this test must wait until it has rated the village (run after
    # the story, the campaign is further on: any status past "running" has the ratings and proposed lines)
    c = _wait_status(client, scenario["cid"], {"awaiting_confirmation", "activating", "completed", "expired",
                                                         "failed"})
    assert c["status"] != "failed", c.get("error")
    username = f"farmer.{uuid.uuid4().hex[:8]}"
    seed_users(stack.endpoint, stack.env["USER_POOL_ID"], [DemoUser(username, "farmer", scenario["am"].org_id, own)])
    hdr = {"Authorization": f"Bearer {login(stack.endpoint, stack.env['USER_POOL_CLIENT_ID'], username)}"}
    mine = client.get(f"/households/{own}/rating", headers=hdr)
    assert mine.status_code == 200 and mine.json()["grade"] == "AAA"
    [line] = client.get(f"/households/{own}/lines", headers=hdr).json()["items"]
    assert client.get(f"/lines/{line['line_id']}", headers=hdr).status_code == 200
    assert client.get(f"/households/{other}/rating", headers=hdr).status_code == 404
    assert client.get(f"/households/{other}/lines", headers=hdr).status_code == 404
    assert client.get(f"/campaigns/{scenario['cid']}", headers=hdr).status_code == 403
    assert client.as_user("am.yushu").get(f"/ratings/{mine.json()['rating_id']}").status_code == 404
    assert client.as_user("am.yushu").get(f"/campaigns/{scenario['cid']}").status_code == 404


def _expiry(client, scenario, stack):
    """The daily job expires effective ratings the day after ``valid_to`` (lines run 3 years)."""
    from functions.jobs.rating_expiry import handler

    hid = scenario["special"]["top"]
    rating = _rating(client, hid)
    valid_to = date.fromisoformat(rating["valid_to"])
    # The job expires every due rating of the stack (other tests' too): what is asserted is this household's.
    handler({"business_date": valid_to.isoformat()}, None)
    assert _rating(client, hid)["status"] == "effective"  # still valid on its last day
    out = handler({"business_date": (valid_to + timedelta(days=1)).isoformat()}, None)
    assert out["ratings"] >= 1
    expired = _rating(client, hid)
    assert (expired["status"], expired["expired_reason"]) == ("expired", "VALIDITY_ENDED")
    assert [ln["status"] for ln in _lines(client, hid)] == ["active"]
    trail = client.as_user("admin.nongan").get(f"/audit/rating/{rating['rating_id']}").json()["items"]
    assert trail[-1]["action"] == "rating.expired" and trail[-1]["actor_id"] == "system:expiry"
    handler({"business_date": (valid_to + timedelta(days=2)).isoformat()}, None)  # a later run: nothing again
    again = client.as_user("admin.nongan").get(f"/audit/rating/{rating['rating_id']}").json()["items"]
    assert [r["action"] for r in again].count("rating.expired") == 1


# ------------------------------------------------------------------------------------------ second village

def test_challenger_and_separation_of_duties_on_confirmation(client, stack):
    import boto3

    from chalicelib.platform.settings import get_settings
    from chalicelib.rating.service.campaign import artifact_key
    from infra.synthetic import village_households_in
    from tests.factories import customers

    settings = get_settings()
    households = village_households_in(SECOND_VILLAGE, 12, seed=7)
    customers.filed(SECOND_VILLAGE, households, ids=[f"HH-{SECOND_VILLAGE}-T{n:03d}" for n in range(1, 13)],
                    status="submitted")
    s3 = boto3.client("s3")
    household_model = json.loads((FIXTURES / "household_points_table.json").read_text())
    s3.put_object(Bucket=settings.documents_bucket, Key=artifact_key("household-challenger-fixture", "fixture-1"),
                  Body=json.dumps(household_model).encode())
    german = {**household_model, "model_id": "germancredit-scorecard", "version": "v1",
              "features": ["status_of_existing_checking_account", "duration_in_month"],
              "variables": [{**household_model["variables"][0], "name": "duration_in_month"}]}
    s3.put_object(Bucket=settings.documents_bucket, Key=artifact_key("germancredit-scorecard", "v1"),
                  Body=json.dumps(german).encode())
    admin = client.as_user("admin.nongan")
    r = admin.post("/campaigns", json={"village_code": SECOND_VILLAGE, "period": "2026-CH",
                                       "challenger": {"model_id": "germancredit-scorecard", "version": "v1"}})
    assert r.status_code == 422 and r.json()["error"]["code"] == "CHALLENGER_FEATURES_UNAVAILABLE"
    assert r.json()["error"]["details"]["missing"] == ["status_of_existing_checking_account", "duration_in_month"]
    r = admin.post("/campaigns", json={"village_code": SECOND_VILLAGE, "period": "2026-CH",
                                       "challenger": {"model_id": "household-challenger-fixture",
                                                      "version": "fixture-1"}})
    assert r.status_code == 202, r.text
    cid = r.json()["campaign_id"]
    assert cid == f"VC-{SECOND_VILLAGE}-2026-CH"
    c = _wait_status(client, cid, {"awaiting_confirmation", "failed"})
    assert c["status"] == "awaiting_confirmation" and c["rated"] == 12, c.get("error")
    items = client.as_user("admin.nongan").get(f"/campaigns/{cid}/ratings").json()["items"]
    assert all(Decimal(i["challenger_score"]) > 0 for i in items)  # both results are stored
    one = client.as_user("admin.nongan").get(f"/ratings/{items[0]['rating_id']}").json()
    assert one["challenger"]["model_id"] == "household-challenger-fixture" and one["score"]
    assert 0 < Decimal(one["challenger"]["probability_of_default"]) < 1
    r = admin.post(f"/campaigns/{cid}/confirm", json={"comment": "自己发起自己确认"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "SEPARATION_OF_DUTIES"
    r = client.as_user("approver.nongan").post(f"/campaigns/{cid}/confirm", json={"comment": "同意"})
    assert r.status_code == 200, r.text
    assert _wait_status(client, cid, {"completed", "failed"})["status"] == "completed"
    outside = client.as_user("am.yushu").post("/campaigns", json={"village_code": SECOND_VILLAGE})
    assert outside.status_code == 404 and outside.json()["error"]["code"] == "VILLAGE_NOT_FOUND"


def test_an_unconfirmed_campaign_expires_and_withdraws_its_proposals(client, stack):
    """What ExpireCampaign does when the confirmation times out (the ASL routes States.Timeout there; the
    real timeout is the notice period plus margin, so the step is driven directly here)."""
    import boto3

    from chalicelib.rating.data import campaigns
    from chalicelib.rating.service import campaign as svc
    from tests.factories import customers

    code = "220122102205"  # 程家坨子村委会
    customers.synthetic_village(code, 6, seed=11, tag="E")
    r = client.as_user("am2.nongan").post("/campaigns", json={"village_code": code, "period": "2026-EXP"})
    assert r.status_code == 202, r.text
    cid = r.json()["campaign_id"]
    c = _wait_status(client, cid, {"awaiting_confirmation", "failed"})
    assert c["status"] == "awaiting_confirmation"
    boto3.client("stepfunctions").stop_execution(executionArn=campaigns.get_unscoped(cid)["execution_arn"],
                                                 error="States.Timeout", cause="test")
    assert svc.close(cid, "expired") == {"status": "expired"}
    c = _campaign(client, cid, "am2.nongan")
    assert c["status"] == "expired"
    ratings = client.as_user("am2.nongan").get(f"/campaigns/{cid}/ratings").json()["items"]
    assert ratings and {r["status"] for r in ratings} == {"expired"}
    for r in ratings:
        lines = _lines(client, r["household_id"], "am2.nongan")
        assert {ln["status"] for ln in lines} <= {"withdrawn"}
    late = client.as_user("admin.nongan").post(f"/campaigns/{cid}/confirm", json={})
    assert late.status_code == 409 and late.json()["error"]["code"] == "CAMPAIGN_NOT_AWAITING_CONFIRMATION"
    again = client.as_user("am2.nongan").post("/campaigns", json={"village_code": code, "period": "2026-EXP"})
    assert again.status_code == 200 and again.json()["status"] == "expired"


def test_the_loan_ledger_feeds_the_knock_out_and_the_village_evaluation(client, stack):
    """A village whose households already borrow from the institution: a loan past due knocks its household
    out (whatever the file says), and the credit-village evaluation counts borrowers, arrears, the loan
    balance and the NPL balance from the loan ledger, classified by the five-category rule."""
    from chalicelib.admin.data import orgs
    from chalicelib.loans.data import loans
    from chalicelib.platform.clock import business_date
    from chalicelib.postloan.domain.classification import classify_loan
    from infra.synthetic import village_households_in
    from tests.factories import customers
    from tests.integration.postloan_support import make_loan

    code = "220122102204"  # 金大房子村委会, 哈拉海镇: no other test uses it
    assignment = orgs.village_assignment(code)
    today = business_date()
    households = village_households_in(code, 10, seed=41)
    for h in households:
        h["liabilities"] = {**h.get("liabilities", {}), "bank_loans": Decimal("0.00")}
    households[4]["liabilities"]["bank_loans"] = Decimal("15000.00")  # a borrower elsewhere, not in the ledger
    stored = customers.filed(code, households, ids=[f"HH-{code}-L{n:03d}" for n in range(1, 11)])

    def loan(n: int, months_back: int, days_back: int, amount: str, village: str = code) -> dict:
        hh = {"household_id": stored[n]["household_id"], "org_path": assignment["org_path"],
              "line_id": f"LN-LEDGER-{n}", "village": village}
        start = date(today.year, today.month, 1) - timedelta(days=days_back)
        start = start.replace(day=min(start.day, 28))
        for _ in range(months_back):
            start = (start.replace(day=1) - timedelta(days=1)).replace(day=min(start.day, 28))
        return make_loan(hh, start=start, amount=amount)

    current = loan(0, 0, 0, "30000.00")       # first installment due next month: current
    late = loan(1, 1, 10, "20000.00")          # first installment about 10 days past due: in arrears
    bad = loan(2, 4, 5, "50000.00")            # about 95+ days past due: substandard, non-performing
    moved = loan(3, 2, 0, "8000.00", village="220122102206")  # booked when the household lived elsewhere
    late_dpd = (today - date.fromisoformat(late["next_due_date"])).days
    bad_dpd = (today - date.fromisoformat(bad["next_due_date"])).days
    assert 0 < late_dpd <= 90 < bad_dpd <= 270
    assert classify_loan(date.fromisoformat(bad["next_due_date"]), today).is_npl
    assert {i["loan_id"] for i in loans.active_in_village(code)} == {current["loan_id"], late["loan_id"], bad["loan_id"]}

    r = client.as_user("am.nongan").post("/campaigns", json={"village_code": code, "period": "2026-LEDGER"})
    assert r.status_code == 202, r.text
    cid = r.json()["campaign_id"]
    c = _wait_status(client, cid, {"awaiting_confirmation", "failed"})
    assert c["status"] == "awaiting_confirmation", c.get("error")

    for n, loan_item in ((1, late), (2, bad), (3, moved)):
        rating = _rating(client, stored[n]["household_id"])
        assert "CURRENTLY_OVERDUE" in rating["knocked_out"] and rating["grade"] == "NONE"
        assert rating["ledger_overdue_loans"] == [loan_item["loan_id"]]
    assert "CURRENTLY_OVERDUE" not in _rating(client, stored[0]["household_id"])["knocked_out"]

    facts = c["evaluation"]["facts"]
    assert facts["borrower_count"] == 4  # three ledger borrowers + one declared elsewhere
    assert facts["borrowers_without_arrears"] == 2
    assert Decimal(facts["loan_balance"]) == Decimal("115000.00")  # 30,000 + 20,000 + 50,000 + 15,000 declared
    assert Decimal(facts["npl_balance"]) == Decimal("50000.00")
    assert facts["ledger"]["loans"] == 3 and facts["ledger"]["overdue_loans"] == 2 and facts["ledger"]["npl_loans"] == 1
    assert Decimal(facts["ledger"]["balance_by_category"]["special_mention"]) == Decimal("20000.00")
    assert facts["household_files"] == {"borrowers_without_ledger_loans": 1, "declared_balance": "15000.00"}
    assert {"BORROWERS_WITHOUT_ARREARS_RATIO_LOW", "NPL_RATIO_TOO_HIGH"} <= set(c["evaluation"]["failed"])
    assert c["evaluation"]["is_credit_village"] is False
    assert Decimal(c["evaluation"]["npl_ratio"]) == (Decimal(50000) / Decimal(115000)).quantize(Decimal("0.000001"),
                                                                                               "ROUND_DOWN")

    # a second campaign for the same village is refused while this one is open (one campaign per village;
    # a household with a line rated by a later campaign: tests/integration/test_campaign_concurrency.py)
    r = client.as_user("am.nongan").post("/campaigns", json={"village_code": code, "period": "2026-LEDGER2"})
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "CAMPAIGN_RUNNING" and r.json()["error"]["details"]["campaign_id"] == cid
    assert [c["campaign_id"] for c in client.as_user("am.nongan").get(f"/villages/{code}/campaigns").json()["items"]] \
        == [cid]
