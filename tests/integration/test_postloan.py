"""Post-loan management on the local stack, walked through a controllable business-date timeline.

Loans are opened through the loans subsystem's data layer (real schedules) on 2025-01-15 with the first
installment due 2025-02-15; the daily jobs (fired like ``village-credit jobs run NAME --business-date D``)
run for every date of the timeline **twice** (the second run must report ``already_completed`` and
change nothing), and the outcome is read back through the API as the people responsible, and only
them, see it.

Loan A never pays: days past due 1 on 2025-02-16, then the classification boundaries 90/91 (2025-05-16/17),
270/271 (2025-11-12/13), 360/361 (2026-02-10/11). Loan E pays what is due on 2025-03-16 (cured). Loan B
has a household on the judicial enforcement list and an inspection that could not confirm its purpose.
Loan C is in 榆树 (another institution). The timeline stays before 2026-12 so that loans other tests
open (pinned to 2026-11-30) are never overdue on these dates.

The timeline is one :class:`tests.story.Story` (:data:`TIMELINE`): each test runs its step after the steps before
it, once each, so every test stands alone and any test order walks the dates in order.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import HANG_GUARD_SECONDS
from tests.integration.postloan_support import (
    OTHER_VILLAGE,
    VILLAGE,
    business_date,
    keep_current,
    make_household,
    make_loan,
    quote,
    repay_due,
    repay_in_full,
    run_day,
    run_job,
    upload_photo,
    yushu_village,
)
from tests.story import Step, Story

START = date(2025, 1, 15)
FIRST_DUE = date(2025, 2, 15)


def dpd_date(n: int) -> date:
    return FIRST_DUE + timedelta(days=n)


T1, T2, T3 = date(2025, 2, 8), date(2025, 2, 14), dpd_date(1)          # T-7, T-1, first day overdue
T4, T4B = date(2025, 3, 16), date(2025, 3, 18)                          # E cures; D2's rating expired
B90, B91, B270, B271, B360, B361 = (dpd_date(n) for n in (90, 91, 270, 271, 360, 361))


@pytest.fixture(scope="module")
def world(stack, client) -> dict[str, Any]:
    from chalicelib.adapters import judicial

    me = {u: client.as_user(u).get("/me").json()["user_id"] for u in ("am.nongan", "am2.nongan", "am.yushu")}
    am = me["am.nongan"]
    hh = {name: make_household(VILLAGE, manager=am, tag=name) for name in ("A", "B", "E")}
    hh["D1"] = make_household(VILLAGE, manager=am, tag="D1", line_valid_to=date(2025, 3, 10))
    hh["D2"] = make_household(VILLAGE, manager=am, tag="D2", rating_valid_to=date(2025, 3, 16))
    for n in range(3, 8):
        hh[f"D{n}"] = make_household(VILLAGE, manager=am, tag=f"D{n}")
    loans = {name: make_loan(h, start=START, manager=am) for name, h in hh.items()}
    hh["C"] = make_household(yushu_village(), manager=me["am.yushu"], tag="C")
    loans["C"] = make_loan(hh["C"], start=START, manager=me["am.yushu"])
    # a household of another account manager cycling through short loans: two drawn and repaid within
    # days (never seen by a daily scan), one seen on T1 and repaid before T2, one drawn the day before T3
    hh["Y"] = make_household(OTHER_VILLAGE, manager=me["am2.nongan"], tag="Y")
    for k in range(2):
        make_loan(hh["Y"], start=date(2025, 1, 20) + timedelta(days=3 * k), amount="5000.00", manager=me["am2.nongan"],
                  status="closed", closed_on=date(2025, 1, 30) + timedelta(days=3 * k))
    loans["Y3"] = make_loan(hh["Y"], start=T1 - timedelta(days=1), amount="5000.00", manager=me["am2.nongan"])
    judicial.sandbox_add(hh["B"]["household_id"], case_no="(2025)吉0122执123号", court="农安县人民法院",
                         listed_on="2025-02-10")
    return {"me": me, "hh": hh, "loans": loans, "results": {},
            "current": [loans[n]["loan_id"] for n in ("B", "D1", "D2", "D3", "D4", "D5", "D6", "D7")]}


def advance(stack, world, day: date) -> None:
    """The healthy loans pay on time up to ``day``, then every job runs for ``day`` (twice)."""
    keep_current(world["current"], day)
    run_day(stack, day)


def _ids(items: list[dict[str, Any]], key: str = "loan_id") -> set[str]:
    return {i[key] for i in items if i.get(key)}


def _notifications(client, household_id: str, template: str) -> list[dict[str, Any]]:
    items = client.as_user("admin.nongan").get(f"/postloan/households/{household_id}/notifications").json()["items"]
    return [i for i in items if i["template"] == template]


def _loan_warnings(client, user: str, loan_id: str) -> list[dict[str, Any]]:
    r = client.as_user(user).get(f"/postloan/loans/{loan_id}/warnings")
    assert r.status_code == 200, r.text
    return r.json()["items"]


def _household_warnings(client, user: str, household_id: str) -> list[dict[str, Any]]:
    r = client.as_user(user).get(f"/postloan/households/{household_id}/warnings")
    assert r.status_code == 200, r.text
    return r.json()["items"]


def _classification(client, user: str, loan_id: str) -> dict[str, Any]:
    r = client.as_user(user).get(f"/postloan/loans/{loan_id}/classification")
    assert r.status_code == 200, r.text
    return r.json()


# ------------------------------------------------------------------------------------------------ T-7
def _t7_reminders_and_first_inspections_exactly_once(stack, client, world):
    from chalicelib.adapters import push, sms

    advance(stack, world, T1)
    loans, hh = world["loans"], world["hh"]
    for name in ("A", "B", "E", "D1", "D3", "C"):
        sent = _notifications(client, hh[name]["household_id"], "repayment_due_t7") if name != "C" else None
        if sent is not None:
            assert len(sent) == 1 and sent[0]["status"] == "sent" and sent[0]["channel"] == "sms"
            assert "2025-02-15到期" in sent[0]["text"] and loans[name]["loan_id"][-6:] in sent[0]["text"]
            assert sent[0]["text"].startswith("【吉林农安农村商业银行】")
        gateway = [m for m in sms.sandbox_messages(loans[name]["loan_id"]) if "将于2025-02-15到期" in m["text"]]
        assert len(gateway) == 1, (name, gateway)
    # D1's line expires on 2025-03-10: T-30 to the household and the account manager
    line_sms = _notifications(client, hh["D1"]["household_id"], "line_expiry_t30")
    assert len(line_sms) == 1 and "2025-03-10" in line_sms[0]["text"]
    assert len(push.sandbox_messages(hh["D1"]["line_id"])) == 1
    # a first inspection for every loan, due 30 days after disbursement, on the account manager's list
    tasks = client.as_user("am.nongan").get("/postloan/inspections?limit=200").json()["items"]
    mine = {t["loan_id"]: t for t in tasks if t["loan_id"] in _ids(list(loans.values()))}
    assert set(mine) == {loans[n]["loan_id"] for n in hh if n not in ("C", "Y")}
    assert loans["Y3"]["loan_id"] in _ids(client.as_user("am2.nongan").get("/postloan/inspections").json()["items"])
    assert {t["kind"] for t in mine.values()} == {"first"} and {t["due_on"] for t in mine.values()} == {"2025-02-14"}
    yushu = client.as_user("am.yushu").get("/postloan/inspections?limit=200").json()["items"]
    assert loans["C"]["loan_id"] in _ids(yushu) and not (_ids(yushu) & set(mine))
    world["tasks"] = mine


# ------------------------------------------------------------------------------------------------ T-1 and visits
def _t1_reminders_and_visits(stack, client, world):
    import requests

    from chalicelib.adapters import push

    advance(stack, world, T2)
    loans, hh = world["loans"], world["hh"]
    for name in ("A", "B", "E"):
        t1 = _notifications(client, hh[name]["household_id"], "repayment_due_t1")
        assert len(t1) == 1 and "明日（2025-02-15）到期" in t1[0]["text"]
        assert len(_notifications(client, hh[name]["household_id"], "repayment_due_t7")) == 1
    # D2's rating expires on 2025-03-16: T-30 push to the account manager
    rating_push = push.sandbox_messages(hh["D2"]["rating_id"])
    assert len(rating_push) == 1 and rating_push[0]["user_id"] == world["me"]["am.nongan"]

    am = client.as_user("am.nongan")
    with business_date(T2):
        # B: photo through the presigned upload, purpose NOT confirmed
        task = am.get(f"/postloan/inspections/{world['tasks'][loans['B']['loan_id']]['task_id']}").json()
        up = am.post(f"/postloan/inspections/{task['task_id']}/photos", json={"content_type": "image/jpeg"})
        assert up.status_code == 201, up.text
        put = requests.put(up.json()["upload_url"], data=b"\xff\xd8\xff jpeg", headers={"Content-Type": "image/jpeg"},
                           timeout=HANG_GUARD_SECONDS)
        assert put.status_code == 200
        body = {"version": task["version"], "gps": {"lat": 44.123456, "lon": 125.012345, "accuracy_m": 8},
                "photos": [up.json()["key"]], "findings": "贷款资金未见用于春耕，户主称已借给亲戚", "purpose_confirmed": False}
        assert am.post(f"/postloan/inspections/{task['task_id']}/visit", json={**body, "photos": ["x/y.jpg"]}) \
            .json()["error"]["code"] == "PHOTO_NOT_OF_TASK"
        assert client.as_user("am.yushu").post(f"/postloan/inspections/{task['task_id']}/visit", json=body) \
            .status_code == 404
        r = am.post(f"/postloan/inspections/{task['task_id']}/visit", json=body)
        assert r.status_code == 200, r.text
        done = r.json()
        assert done["status"] == "done" and done["visit"]["purpose_confirmed"] is False and done["next_task_id"]
        again = am.post(f"/postloan/inspections/{task['task_id']}/visit", json=body)
        assert again.status_code == 409 and again.json()["error"]["code"] == "INSPECTION_NOT_OPEN"
        nxt = am.get(f"/postloan/inspections/{done['next_task_id']}").json()
        assert nxt["kind"] == "periodic" and nxt["due_on"] == (T2 + timedelta(days=180)).isoformat()
        # the rules ran at once: purpose not confirmed → orange warning on loan B
        sig = [w for w in _loan_warnings(client, "am.nongan", loans["B"]["loan_id"])
               if w["rule_id"] == "PURPOSE_UNCONFIRMED"]
        assert len(sig) == 1 and sig[0]["level"] == "orange" and sig[0]["status"] == "open"
        assert sig[0]["assignee_id"] == world["me"]["am.nongan"] and sig[0]["evidence"]["purpose_confirmed"] is False
        # the D households were visited on time, purpose confirmed
        for name in ("D1", "D2", "D3", "D4", "D5", "D6", "D7"):
            t = world["tasks"][loans[name]["loan_id"]]
            r = am.post(f"/postloan/inspections/{t['task_id']}/visit", json={
                "version": t["version"], "gps": {"lat": 44.1, "lon": 125.0}, "photos": [upload_photo(t["task_id"])],
                "findings": "玉米已播种，用途相符", "purpose_confirmed": True})
            assert r.status_code == 200, r.text
    outside = am.post(f"/postloan/inspections/{nxt['task_id']}/visit", json={
        "version": nxt["version"], "gps": {"lat": 10.0, "lon": 10.0}, "photos": ["a"], "findings": "xx",
        "purpose_confirmed": True})
    assert outside.status_code == 422 and outside.json()["error"]["code"] == "GPS_OUT_OF_AREA"


# ------------------------------------------------------------------------------------------------ first day overdue
def _first_day_overdue(stack, client, world):
    from chalicelib.adapters import push, sms

    repay_in_full(world["loans"]["Y3"]["loan_id"], date(2025, 2, 12))
    world["loans"]["Y"] = make_loan(world["hh"]["Y"], start=T3 - timedelta(days=1), amount="5000.00",
                                    manager=world["me"]["am2.nongan"])
    world["current"].append(world["loans"]["Y"]["loan_id"])
    advance(stack, world, T3)
    loans, hh, me = world["loans"], world["hh"], world["me"]
    a, e, b, c = (loans[n]["loan_id"] for n in "AEBC")
    for lid in (a, e, c):
        cls = _classification(client, "province.admin", lid)
        assert (cls["category"], cls["dpd"], cls["classified_on"]) == ("special_mention", 1, T3.isoformat())
        assert [(h["from"], h["to"]) for h in cls["history"]] == [("pass", "special_mention")]
    assert _classification(client, "province.admin", b)["category"] == "pass"
    # penalty: the day's accrual equals what the loans subsystem charges on repayment
    pen = _classification(client, "am.nongan", a)["penalties"]
    assert len(pen) == 1 and Decimal(pen[0]["amount"]) == quote(a, T3)["due"]["penalty"] > 0
    # overdue reminders: one SMS to the household, one push to its account manager
    for name in ("A", "E"):
        assert len(_notifications(client, hh[name]["household_id"], "overdue")) == 1
        assert len([m for m in sms.sandbox_messages(loans[name]["loan_id"]) if "已逾期1天" in m["text"]]) == 1
        assert len([m for m in push.sandbox_messages(loans[name]["loan_id"]) if m["user_id"] == me["am.nongan"]]) == 1
    # signals, once each
    wa = {w["rule_id"]: w for w in _loan_warnings(client, "am.nongan", a)}
    assert wa["OVERDUE"]["level"] == "yellow" and wa["OVERDUE"]["evidence"]["dpd"] == 1
    assert wa["INSPECTION_OVERDUE"]["level"] == "yellow"
    assert wa["INTEREST_ARREARS"]["level"] == "yellow" and Decimal(wa["INTEREST_ARREARS"]["evidence"]["interest_arrears"]) > 0
    assert len(_loan_warnings(client, "am.nongan", a)) == 3
    judicial = [w for w in _household_warnings(client, "am.nongan", hh["B"]["household_id"]) if w["rule_id"] == "JUDICIAL"]
    assert len(judicial) == 1 and judicial[0]["level"] == "red" and judicial[0]["subject_type"] == "household"
    assert judicial[0]["evidence"]["judicial_listed"] is True
    line = [w for w in _household_warnings(client, "am.nongan", hh["D1"]["household_id"]) if w["rule_id"] == "LINE_EXPIRING"]
    assert len(line) == 1 and line[0]["level"] == "yellow"
    cyc = [w for w in _household_warnings(client, "am2.nongan", hh["Y"]["household_id"]) if w["rule_id"] == "CYCLING"]
    assert len(cyc) == 1 and cyc[0]["evidence"]["draw_repay_cycles"] == 3 and cyc[0]["assignee_id"] == me["am2.nongan"]
    # the repaid loan's open inspection was cancelled
    closed = client.as_user("am2.nongan").get("/postloan/inspections?status=closed").json()["items"]
    y3 = [t for t in closed if t["loan_id"] == loans["Y3"]["loan_id"]]
    assert len(y3) == 1 and y3[0]["status"] == "cancelled" and y3[0]["cancel_reason"] == "loan closed"
    # the village: 2 of 10 loans overdue (20 % of the balance) → red
    village = client.as_user("am.nongan").get(f"/postloan/warnings?village_code={VILLAGE}&limit=200").json()["items"]
    vsig = [w for w in village if w["subject_type"] == "village"]
    assert len(vsig) == 1 and vsig[0]["rule_id"] == "VILLAGE_OVERDUE_RATE" and vsig[0]["level"] == "red"
    assert vsig[0]["evidence"]["loan_count"] == 10 and vsig[0]["subject_id"] == VILLAGE
    # a red warning is pushed to the account manager at once
    assert any("红色预警" in m["text"] for m in push.sandbox_messages(vsig[0]["signal_id"]))
    world["village_signal"] = vsig[0]


def _queries_show_warnings_to_the_right_people_only(client, world):
    loans, hh = world["loans"], world["hh"]
    a, c = loans["A"]["loan_id"], loans["C"]["loan_id"]
    nongan = client.as_user("am.nongan").get("/postloan/warnings?limit=200").json()["items"]
    yushu = client.as_user("am.yushu").get("/postloan/warnings?limit=200").json()["items"]
    assert a in _ids(nongan) and c not in _ids(nongan)
    assert c in _ids(yushu) and not [w for w in yushu if w["org_path"].startswith("/JL/JL-220122/")]
    assert client.as_user("am.yushu").get(f"/postloan/loans/{a}/warnings").status_code == 404
    # a household's warnings and notifications: 404 alike for another organisation's and for an unknown one
    for who, household_id in (("am.yushu", hh["A"]["household_id"]), ("am.nongan", "HHNOSUCH0000"),
                              ("admin.yushu", hh["A"]["household_id"])):
        for what in ("warnings", "notifications"):
            r = client.as_user(who).get(f"/postloan/households/{household_id}/{what}")
            assert r.status_code == 404, (who, what, r.text)
            assert r.json()["error"]["code"] == "HOUSEHOLD_NOT_FOUND"
            assert r.json()["error"]["fields"][0]["field"] == "household_id"
    assert client.as_user("am.yushu").get(f"/postloan/households/{hh['C']['household_id']}/notifications") \
        .json()["items"]
    quiet = make_household(VILLAGE, tag="Q")  # in scope, never warned
    assert _household_warnings(client, "am.nongan", quiet["household_id"]) == []
    sig = next(w for w in nongan if w.get("loan_id") == a)
    assert client.as_user("am.yushu").get(f"/postloan/warnings/{sig['signal_id']}").status_code == 404
    assert client.as_user("am.yushu").post(f"/postloan/warnings/{sig['signal_id']}/acknowledge",
                                           json={"version": sig["version"]}).status_code == 404
    r = client.as_user("admin.yushu").get("/postloan/warnings?org_id=JL-220122")
    assert r.status_code == 404 and r.json()["error"]["code"] == "ORG_NOT_FOUND"
    both = client.as_user("province.admin").get("/postloan/warnings?limit=200")
    seen, cursor = _ids(both.json()["items"]), both.json().get("cursor")
    while cursor:
        page = client.as_user("province.admin").get(f"/postloan/warnings?limit=200&cursor={cursor}").json()
        seen |= _ids(page["items"])
        cursor = page.get("cursor")
    assert {a, c} <= seen
    red = client.as_user("admin.nongan").get("/postloan/warnings?level=red&org_id=JL-220122&limit=200").json()["items"]
    assert red and {w["level"] for w in red} == {"red"}
    mine = client.as_user("am.nongan").get("/postloan/warnings?assignee=me&limit=200").json()["items"]
    assert a in _ids(mine) and {w["assignee_id"] for w in mine} == {world["me"]["am.nongan"]}
    assert [w["level"] for w in mine] == sorted((w["level"] for w in mine), key=["red", "orange", "yellow"].index)
    # overdue list and classification lists
    over = client.as_user("am.nongan").get("/postloan/overdue?limit=200").json()["items"]
    assert {a, loans["E"]["loan_id"]} <= _ids(over) and c not in _ids(over)
    assert next(o for o in over if o["loan_id"] == a)["dpd"] == 1
    assert _ids(client.as_user("am.yushu").get("/postloan/overdue?limit=200").json()["items"]) >= {c}
    assert a not in _ids(client.as_user("am.yushu").get("/postloan/overdue?limit=200").json()["items"])
    assert a in _ids(client.as_user("admin.nongan").get(
        f"/postloan/classification?category=special_mention&village_code={VILLAGE}").json()["items"])
    summary = client.as_user("am.nongan").get(f"/postloan/classification/summary?village_code={VILLAGE}").json()
    assert summary["loan_count"] == 10 and summary["overdue_count"] == 2
    assert client.as_user("auditor").post(f"/postloan/warnings/{sig['signal_id']}/acknowledge",
                                          json={"version": sig["version"]}).status_code == 403


def _warning_lifecycle_and_no_duplicate_after_dismissal(stack, client, world):
    sig = world["village_signal"]
    am = client.as_user("am.nongan")
    assert am.post(f"/postloan/warnings/{sig['signal_id']}/resolve", json={"version": sig["version"],
                                                                            "resolution": ""}).status_code == 422
    ack = am.post(f"/postloan/warnings/{sig['signal_id']}/acknowledge", json={"version": sig["version"], "note": "已知悉"})
    assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"
    stale = am.post(f"/postloan/warnings/{sig['signal_id']}/dismiss", json={"version": sig["version"], "reason": "xx"})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "VERSION_CONFLICT"
    dis = am.post(f"/postloan/warnings/{sig['signal_id']}/dismiss",
                  json={"version": ack.json()["version"], "reason": "两户均为春耕资金周转，已承诺月底前还款"})
    assert dis.status_code == 200 and dis.json()["status"] == "dismissed"
    assert am.post(f"/postloan/warnings/{sig['signal_id']}/acknowledge",
                   json={"version": dis.json()["version"]}).json()["error"]["code"] == "WARNING_STATE"
    trail = client.as_user("admin.nongan").get(f"/audit/warning/{sig['signal_id']}").json()["items"]
    assert [t["action"] for t in trail] == ["warning.raised", "warning.acknowledged", "warning.dismissed"]
    active = client.as_user("am.nongan").get(f"/postloan/warnings?village_code={VILLAGE}&limit=200").json()["items"]
    assert not [w for w in active if w["subject_type"] == "village"]


# ------------------------------------------------------------------------------------------------ E cures
def _cure_and_portfolio_deterioration(stack, client, world):
    loans, me = world["loans"], world["me"]
    e, a = loans["E"]["loan_id"], loans["A"]["loan_id"]
    paid = repay_due(e, T4)
    assert paid["applied"]["penalty"] > 0
    world["current"].append(e)
    advance(stack, world, T4)
    cls = _classification(client, "am.nongan", e)
    assert cls["category"] == "pass" and cls["dpd"] == 0
    assert [(h["from"], h["to"]) for h in cls["history"]] == [("pass", "special_mention"), ("special_mention", "pass")]
    over = _ids(client.as_user("am.nongan").get("/postloan/overdue?limit=200").json()["items"])
    assert a in over and e not in over
    # E's overdue signal stays for people to close, marked as cleared
    ovd = [w for w in _loan_warnings(client, "am.nongan", e) if w["rule_id"] == "OVERDUE"]
    assert len(ovd) == 1 and ovd[0]["cleared_on"] == T4.isoformat() and ovd[0]["status"] == "open"
    # the village signal was dismissed 28 days ago: the same condition is not raised again yet
    village = [w for w in client.as_user("admin.nongan").get(f"/postloan/warnings?village_code={VILLAGE}&limit=200")
               .json()["items"] if w["subject_type"] == "village"]
    assert village == []
    # am.nongan's overdue rate went from 0 (2025-02-14) to ~10 %: portfolio deteriorating, red
    am_sig = [w for w in client.as_user("admin.nongan").get("/postloan/warnings?limit=200&org_id=JL-220122")
              .json()["items"] if w["subject_type"] == "account_manager" and w["subject_id"] == me["am.nongan"]]
    assert len(am_sig) == 1 and am_sig[0]["rule_id"] == "AM_PORTFOLIO" and am_sig[0]["level"] == "red"
    assert Decimal(str(am_sig[0]["evidence"]["overdue_rate_change"])) > Decimal("0.05")
    # the manager sees it but cannot dismiss a warning about his own portfolio; the institution can
    mine = client.as_user("am.nongan").post(f"/postloan/warnings/{am_sig[0]['signal_id']}/acknowledge",
                                            json={"version": am_sig[0]["version"]})
    assert mine.status_code == 403 and mine.json()["error"]["code"] == "SUBJECT_OF_WARNING"
    ack = client.as_user("admin.nongan").post(f"/postloan/warnings/{am_sig[0]['signal_id']}/acknowledge",
                                              json={"version": am_sig[0]["version"]})
    assert ack.status_code == 200, ack.text
    # penalty ledger of A: the cumulative accrual equals the loans subsystem's figure
    pens = _classification(client, "am.nongan", a)["penalties"]
    assert sum(Decimal(p["amount"]) for p in pens) == quote(a, T4)["due"]["penalty"]
    assert len({p["business_date"] for p in pens}) == len(pens) == 2


def _rating_expired_and_inspection_overdue_escalation(stack, client, world):
    from chalicelib.adapters import push

    hh, loans = world["hh"], world["loans"]
    pushed = [m["text"] for m in push.sandbox_messages(hh["D2"]["rating_id"])]
    assert len(pushed) == 2  # T-30 ("将于…到期") and, on its last valid day, rating_expired_manager ("已于…到期")
    assert sum("将于2025-03-16到期（还有30天）" in t for t in pushed) == 1
    assert sum("已于2025-03-16到期，请尽快重新评级" in t for t in pushed) == 1
    advance(stack, world, T4B)
    exp = [w for w in _household_warnings(client, "am.nongan", hh["D2"]["household_id"]) if w["rule_id"] == "RATING_EXPIRED"]
    assert len(exp) == 1 and exp[0]["level"] == "orange" and exp[0]["evidence"]["rating_expired_days"] == 2
    insp = [w for w in _loan_warnings(client, "am.nongan", loans["A"]["loan_id"]) if w["rule_id"] == "INSPECTION_OVERDUE"]
    assert len(insp) == 1 and insp[0]["level"] == "orange"
    assert [x["level"] for x in insp[0]["levels"]] == ["yellow", "orange"]


# ------------------------------------------------------------------------------------------------ boundaries
BOUNDARIES = [
    (B90, 90, "special_mention", "orange"), (B91, 91, "substandard", "red"),
    (B270, 270, "substandard", "red"), (B271, 271, "doubtful", "red"),
    (B360, 360, "doubtful", "red"), (B361, 361, "loss", "red")]


def _classification_boundaries(stack, client, world, day, dpd, category, level):
    a = world["loans"]["A"]["loan_id"]
    advance(stack, world, day)
    cls = _classification(client, "admin.nongan", a)
    assert (cls["dpd"], cls["category"], cls["classified_on"]) == (dpd, category, day.isoformat())
    ovd = [w for w in _loan_warnings(client, "am.nongan", a) if w["rule_id"] == "OVERDUE"]
    assert len(ovd) == 1 and ovd[0]["level"] == level and ovd[0]["status"] == "open"
    listed = client.as_user("am.nongan").get(f"/postloan/classification?category={category}&limit=200").json()["items"]
    assert a in _ids(listed)


def _history_after_the_boundaries(client, world):
    a = world["loans"]["A"]["loan_id"]
    cls = _classification(client, "admin.nongan", a)
    assert [(h["from"], h["to"], h["dpd"], h["business_date"]) for h in cls["history"]] == [
        ("pass", "special_mention", 1, T3.isoformat()), ("special_mention", "substandard", 91, B91.isoformat()),
        ("substandard", "doubtful", 271, B271.isoformat()), ("doubtful", "loss", 361, B361.isoformat())]
    ovd = [w for w in _loan_warnings(client, "am.nongan", a) if w["rule_id"] == "OVERDUE"]
    assert [x["level"] for x in ovd[0]["levels"]] == ["yellow", "orange", "red"]
    npl = client.as_user("am.nongan").get("/postloan/classification?category=npl&limit=200").json()["items"]
    assert a in _ids(npl)
    trail = client.as_user("admin.nongan").get(f"/audit/loan/{a}?limit=200").json()["items"]
    assert [t["after"]["category"] for t in trail if t["action"] == "loan.classified"] == [
        "special_mention", "substandard", "doubtful", "loss"]
    # overdue reminders went out on the listed days only, once each
    hh = world["hh"]["A"]["household_id"]
    overdue = client.as_user("am.nongan").get(f"/postloan/households/{hh}/notifications").json()["items"]
    days = sorted(n["business_date"] for n in overdue if n["template"] == "overdue")
    assert days == [T3.isoformat(), B90.isoformat(), B270.isoformat(), B360.isoformat()]  # listed days, then every 30


def _a_late_run_of_a_past_date_never_turns_the_clock_back(stack, client, world):
    """Operations catch up a missed date after later dates ran: loans classified on a later date keep it."""
    a = world["loans"]["A"]["loan_id"]
    before = _classification(client, "admin.nongan", a)
    late = run_job(stack, "loan_classification", B270 - timedelta(days=3))
    assert late["status"] == "completed" and late["counters"]["newer_classification_kept"] >= 1
    after = _classification(client, "admin.nongan", a)
    assert (after["category"], after["dpd"], after["classified_on"]) == ("loss", 361, B361.isoformat())
    assert after["history"] == before["history"]


def _the_portfolio_comparison_falls_back_to_the_newest_snapshot_of_the_week_before(world):
    """The account-manager rule compares with the snapshot of 30 days before; when the scan did not run
    that day (none ran on 2026-02-13), the newest snapshot of the 7 days before it is used (2026-02-11)."""
    from chalicelib.postloan.data import scan

    me = world["me"]["am.nongan"]
    assert scan.snapshot("manager", me, date(2026, 2, 13)) is None
    near = scan.snapshot_near("manager", me, date(2026, 2, 13), earliest=date(2026, 2, 6))
    assert near is not None and near["business_date"] == B361.isoformat()
    assert scan.snapshot_near("manager", me, date(2026, 2, 9), earliest=date(2026, 2, 9)) is None


# ------------------------------------------------------------------------------------------------ crash and resume
def _a_crashed_run_resumes_from_its_checkpoint(stack, client, world):
    from chalicelib.admin.data import job_runs
    from chalicelib.postloan.service import classification as svc

    day = date(2026, 3, 20)
    hh = make_household(VILLAGE, manager=world["me"]["am.nongan"], tag="F")
    f_loan = make_loan(hh, start=date(2026, 1, 19))  # first due 2026-02-19: 29 days past due on 2026-03-20
    target = world["loans"]["A"]["loan_id"]
    real = svc._classify_loan
    calls = {"n": 0}

    def crash_on_a(jr, loan, *args, **kwargs):
        calls["n"] += 1
        if loan["loan_id"] == target:
            raise RuntimeError("simulated crash")
        return real(jr, loan, *args, **kwargs)

    with pytest.MonkeyPatch.context() as monkeypatch:  # a step may run inside another test: its own patch
        monkeypatch.setattr(svc, "_classify_loan", crash_on_a)
        with pytest.raises(RuntimeError, match="simulated crash"):
            run_job(stack, "loan_classification", day)
        run = job_runs.get("loan_classification", day)
        assert run["status"] == "running" and "simulated crash" in run["last_error"]
        monkeypatch.setattr(svc, "_classify_loan", real)
        first_calls = calls["n"]

        resumed = run_job(stack, "loan_classification", day)
        assert resumed["status"] == "completed"
        assert job_runs.get("loan_classification", day)["attempts"] == 2
        # the shards finished before the crash were not read again
        assert resumed["counters"]["loans_overdue_seen"] >= first_calls
        assert run_job(stack, "loan_classification", day)["status"] == "already_completed"
        f_cls = _classification(client, "am.nongan", f_loan["loan_id"])
        assert [(h["from"], h["to"]) for h in f_cls["history"]] == [("pass", "special_mention")]
        assert _classification(client, "am.nongan", target)["classified_on"] == day.isoformat()


def _a_run_in_slices_with_max_pages(stack, client, world):
    day = date(2026, 3, 21)
    assert run_job(stack, "loan_classification", day)["status"] == "completed"
    first = run_job(stack, "inspections", day, max_pages=1)
    assert first["status"] == "partial"
    n = 0
    while True:
        n += 1
        out = run_job(stack, "inspections", day, max_pages=3)
        if out["status"] == "completed":
            break
        assert out["status"] == "partial" and n < 20
    assert run_job(stack, "inspections", day)["status"] == "already_completed"
    path = f"/postloan/jobs/inspections/runs/{day.isoformat()}"
    for province_level in ("province.admin", "auditor"):
        r = client.as_user(province_level).get(path)
        assert r.status_code == 200 and r.json()["status"] == "completed" and r.json()["attempts"] >= 2
        assert r.json()["checkpoint"]["counters"]["active_loans"] > 0
        bad = client.as_user(province_level).get("/postloan/jobs/inspections/runs/2026-13-01")
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "BUSINESS_DATE_INVALID"
    # the run's counters are province-wide: an institution's staff do not see them (out of scope: 404)
    for institution_level in ("admin.nongan", "admin.yushu"):
        r = client.as_user(institution_level).get(path)
        assert r.status_code == 404 and r.json()["error"]["code"] == "JOB_RUN_NOT_FOUND", r.text
    assert client.as_user("am.nongan").get(path).status_code == 403  # no report:read at all


def test_a_non_job_event_is_refused_without_touching_aws():
    from chalicelib.admin.service.jobs import BadJobEvent
    from functions.jobs import warning_scan

    with pytest.raises(BadJobEvent):
        warning_scan.handler({}, None)
    with pytest.raises(BadJobEvent):
        warning_scan.handler({"job": "warning_scan", "business_date": "2026-13-01"}, None)


def _the_loan_opened_hook_plans_the_first_inspection_at_once(stack, client, world):
    from chalicelib.postloan.public import on_loan_opened

    hh = make_household(VILLAGE, manager=world["me"]["am.nongan"], tag="H")
    loan = make_loan(hh, start=date(2026, 3, 25), manager=world["me"]["am.nongan"])
    task_id = on_loan_opened(loan)
    task = client.as_user("am.nongan").get(f"/postloan/inspections/{task_id}").json()
    assert (task["kind"], task["due_on"], task["loan_id"]) == ("first", "2026-04-24", loan["loan_id"])
    assert on_loan_opened(loan) == task_id  # calling it twice plans nothing new
    assert on_loan_opened({"loan_id": "broken"}) is None  # never raises into the caller
    out = run_job(stack, "inspections", date(2026, 3, 26))
    assert out["status"] == "completed"
    tasks = client.as_user("am.nongan").get("/postloan/inspections?limit=200").json()["items"]
    assert [t["task_id"] for t in tasks if t["loan_id"] == loan["loan_id"]] == [task_id]


# ------------------------------------------------------------------------------------------------ 2026: audit
# follow-ups
# Loans G (am.nongan's) and K (nobody's) start on 2026-04-10, first due 2026-05-10; they are visited on
# 2026-04-20 and fall overdue. The dates stay clear of the ones above (2026-04-01 is never classified).
G_START, VISIT_DAY = date(2026, 4, 10), date(2026, 4, 20)
D_OVERDUE, D_NEXT, D_ORANGE = date(2026, 5, 12), date(2026, 5, 13), date(2026, 6, 10)  # dpd 2, 3, 31
D_REMIND, D_RULES = date(2026, 7, 8), date(2026, 8, 3)


def _error(r, status: int, code: str, field: str | None = None) -> None:
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code, r.text
    if field:
        assert r.json()["error"]["fields"][0]["field"] == field, r.text


def _visit_fields_are_validated_and_only_the_assignee_records_a_visit(stack, client, world):
    from chalicelib.postloan.public import on_loan_opened

    am, am2 = client.as_user("am.nongan"), client.as_user("am2.nongan")
    hh_g = make_household(VILLAGE, manager=world["me"]["am.nongan"], tag="G")
    hh_k = make_household(VILLAGE, tag="K")
    g = make_loan(hh_g, start=G_START, manager=world["me"]["am.nongan"])
    k = make_loan(hh_k, start=G_START, manager=None)
    task_g, task_k = on_loan_opened(g), on_loan_opened(k)
    world["g"], world["k"] = g, k
    with business_date(VISIT_DAY):
        task = am.get(f"/postloan/inspections/{task_g}").json()
        assert task["assignee_id"] == world["me"]["am.nongan"]
        # another account manager of the same outlet sees the task but may not work on it
        assert am2.get(f"/postloan/inspections/{task_g}").status_code == 200
        _error(am2.post(f"/postloan/inspections/{task_g}/photos", json={}), 403, "NOT_ASSIGNEE", "assignee_id")
        photo = upload_photo(task_g)
        body = {"version": task["version"], "gps": {"lat": 44.1, "lon": 125.0}, "photos": [photo],
                "findings": "玉米已播种，用途相符", "purpose_confirmed": True}
        _error(am2.post(f"/postloan/inspections/{task_g}/visit", json=body), 403, "NOT_ASSIGNEE", "assignee_id")
        for bad in ("not-a-time", "2026-04-20", "2026-04-20T09:30:00", "2026-04-31T09:30:00+08:00"):
            _error(am.post(f"/postloan/inspections/{task_g}/visit", json={**body, "visited_at": bad}), 422,
                   "VISITED_AT_INVALID", "visited_at")
        _error(am.post(f"/postloan/inspections/{task_g}/visit", json={**body, "visited_at": "2099-01-01T00:00:00Z"}),
               422, "VISITED_AT_IN_FUTURE", "visited_at")
        other = upload_photo(task_k)
        for photos, code in (([f"inspections/{task_g}/../{task_k}/{other.rsplit('/', 1)[1]}"], "PHOTO_NOT_OF_TASK"),
                             ([f"inspections/{task_g}/x.jpg"], "PHOTO_NOT_OF_TASK"), ([other], "PHOTO_NOT_OF_TASK"),
                             ([photo, photo], "PHOTO_DUPLICATE")):
            _error(am.post(f"/postloan/inspections/{task_g}/visit", json={**body, "photos": photos}), 422, code,
                   f"photos[{len(photos) - 1}]")
        assert am.get(f"/postloan/inspections/{task_g}").json()["version"] == task["version"]  # nothing stored
        r = am.post(f"/postloan/inspections/{task_g}/visit", json={**body, "visited_at": "2026-04-20T09:30:00+08:00"})
        assert r.status_code == 200, r.text
        assert r.json()["visit"]["visited_at"] == "2026-04-20T01:30:00.000Z"
        nxt = am.get(f"/postloan/inspections/{r.json()['next_task_id']}").json()
        assert (nxt["due_on"], nxt["category"]) == ((VISIT_DAY + timedelta(days=180)).isoformat(), "pass")
        world["g_next_task"] = nxt["task_id"]
        # a task nobody is assigned to: any account manager of the organisation may record it
        k_task = am2.get(f"/postloan/inspections/{task_k}").json()
        assert k_task.get("assignee_id") is None
        assert am2.post(f"/postloan/inspections/{task_k}/photos", json={}).status_code == 201
        r = am2.post(f"/postloan/inspections/{task_k}/visit", json={**body, "version": k_task["version"],
                                                                     "photos": [other]})
        assert r.status_code == 200 and r.json()["completed_by"] == world["me"]["am2.nongan"], r.text


def _a_worsening_category_pulls_the_next_inspection_forward(stack, client, world):
    assert run_job(stack, "loan_classification", D_OVERDUE)["status"] == "completed"
    assert _classification(client, "am.nongan", world["g"]["loan_id"])["category"] == "special_mention"
    out = run_job(stack, "inspections", D_OVERDUE)
    assert out["status"] == "completed" and out["counters"]["tasks_rescheduled"] >= 1
    task = client.as_user("am.nongan").get(f"/postloan/inspections/{world['g_next_task']}").json()
    # planned for 180 days after the visit (pass); special mention needs a visit every 90 days from now
    assert (task["status"], task["category"]) == ("open", "special_mention")
    assert task["due_on"] == (D_OVERDUE + timedelta(days=90)).isoformat()
    trail = client.as_user("admin.nongan").get(f"/audit/inspection/{world['g_next_task']}").json()["items"]
    assert [t["action"] for t in trail] == ["inspection.planned", "inspection.rescheduled"]
    assert trail[-1]["after"]["due_on"] == task["due_on"] and trail[-1]["actor_id"] == "system"


def _signals_carry_their_rule_version_and_only_the_assignee_or_an_admin_handles_them(stack, client, world):
    from chalicelib.platform import parameters

    assert run_job(stack, "warning_scan", D_OVERDUE)["status"] == "completed"
    version = parameters.get_effective("warning_rules", D_OVERDUE)["version"]
    g = {w["rule_id"]: w for w in _loan_warnings(client, "am.nongan", world["g"]["loan_id"])}
    assert set(g) == {"OVERDUE", "INTEREST_ARREARS"} and g["OVERDUE"]["level"] == "yellow"
    assert {w["rule_version"] for w in g.values()} == {version} and g["OVERDUE"]["rule_set"]
    assert g["OVERDUE"]["assignee_id"] == world["me"]["am.nongan"] and g["OVERDUE"]["evidence"]["dpd"] == 2
    k = {w["rule_id"]: w for w in _loan_warnings(client, "am2.nongan", world["k"]["loan_id"])}
    assert k["OVERDUE"].get("assignee_id") is None
    am, am2, admin = (client.as_user(u) for u in ("am.nongan", "am2.nongan", "admin.nongan"))
    with business_date(D_OVERDUE):
        sig = g["OVERDUE"]
        for action, extra in (("acknowledge", {}), ("resolve", {"resolution": "已电话催收"}),
                              ("dismiss", {"reason": "不是风险"})):
            _error(am2.post(f"/postloan/warnings/{sig['signal_id']}/{action}", json={"version": sig["version"], **extra}),
                   403, "NOT_ASSIGNEE", "assignee_id")
        assert am.get(f"/postloan/warnings/{sig['signal_id']}").json()["status"] == "open"  # nothing changed
        # the institution admin handles any warning of the institution, an account manager an unassigned one
        arrears = g["INTEREST_ARREARS"]
        r = admin.post(f"/postloan/warnings/{arrears['signal_id']}/acknowledge", json={"version": arrears["version"]})
        assert r.status_code == 200 and r.json()["acknowledged_by"] != world["me"]["am.nongan"], r.text
        r = am2.post(f"/postloan/warnings/{k['OVERDUE']['signal_id']}/acknowledge", json={"version": k["OVERDUE"]["version"]})
        assert r.status_code == 200 and r.json()["acknowledged_by"] == world["me"]["am2.nongan"], r.text
        # the assignee resolves the overdue signal
        r = am.post(f"/postloan/warnings/{sig['signal_id']}/resolve",
                    json={"version": sig["version"], "resolution": "已电话催收，户主承诺5月20日前还款"})
    assert r.status_code == 200, r.text
    done = r.json()
    assert (done["status"], done["closed_by"], done["resolution"]) == (
        "resolved", world["me"]["am.nongan"], "已电话催收，户主承诺5月20日前还款")
    assert done["closed_at"] and done["version"] == sig["version"] + 1
    trail = admin.get(f"/audit/warning/{sig['signal_id']}").json()["items"]
    assert [t["action"] for t in trail] == ["warning.raised", "warning.resolved"]
    assert trail[-1]["actor_id"] == world["me"]["am.nongan"] and trail[-1]["reason"] == done["resolution"]
    world["g_resolved"] = done


def _a_resolved_signal_is_not_reopened_until_its_condition_returns_worse(stack, client, world):
    g = world["g"]["loan_id"]
    for day in (D_NEXT, D_ORANGE):
        assert run_job(stack, "loan_classification", day)["status"] == "completed"
        scan = run_job(stack, "warning_scan", day)
        assert scan["status"] == "completed"
        overdue = [w for w in _loan_warnings(client, "am.nongan", g) if w["rule_id"] == "OVERDUE"]
        if day == D_NEXT:
            # still overdue at the same level: suppressed for reraise_after_days, the resolved one untouched
            assert scan["counters"]["signals_suppressed"] >= 1
            assert [(w["signal_id"], w["status"]) for w in overdue] == [(world["g_resolved"]["signal_id"], "resolved")]
    # 31 days past due: the rule fires at a higher level, which is raised again at once (a new signal)
    assert [(w["status"], w["level"], w["raised_on"]) for w in overdue] == [
        ("open", "orange", D_ORANGE.isoformat()), ("resolved", "yellow", D_OVERDUE.isoformat())]


def _a_malformed_loan_item_is_skipped_by_the_reminders(stack, client, world):
    from tests.factories.loans import loan_missing

    hh_m, hh_n = (make_household(VILLAGE, manager=world["me"]["am.nongan"], tag=t) for t in ("M", "N"))
    start = D_REMIND + timedelta(days=7) - timedelta(days=30)  # first due exactly 7 days after D_REMIND
    m, n = (make_loan(h, start=start, manager=world["me"]["am.nongan"]) for h in (hh_m, hh_n))
    assert m["next_due_date"] == n["next_due_date"] == (D_REMIND + timedelta(days=7)).isoformat()
    loan_missing(m["loan_id"], "next_due_amount")
    assert run_job(stack, "loan_classification", D_REMIND)["status"] == "completed"
    out = run_job(stack, "reminders", D_REMIND)
    assert out["status"] == "completed" and out["counters"]["loans_skipped"] == 1, out
    assert len(_notifications(client, hh_n["household_id"], "repayment_due_t7")) == 1
    assert _notifications(client, hh_m["household_id"], "repayment_due_t7") == []


def _a_new_warning_rules_version_changes_what_the_scan_raises(stack, client, world):
    import copy

    from chalicelib.platform import parameters
    from chalicelib.postloan.domain.warning_rules import WarningRuleSet
    from tests.integration.loans_support import parameter_override

    hh_j = make_household(VILLAGE, manager=world["me"]["am.nongan"], tag="J")
    j = make_loan(hh_j, start=D_RULES - timedelta(days=33), manager=world["me"]["am.nongan"])  # dpd 2 on D_RULES
    shipped = parameters.get_effective("warning_rules", D_RULES)["value"]
    stricter = copy.deepcopy(shipped["decision"])
    row = next(r for r in stricter["nodes"][1]["content"]["rules"] if r["_id"] == "overdue_1")
    row["in_dpd"] = "> 5"  # the institution tolerates five days before the first overdue warning
    with business_date(D_RULES), parameter_override("warning_rules", decision=stricter) as new:
        assert run_job(stack, "loan_classification", D_RULES)["status"] == "completed"
        assert run_job(stack, "warning_scan", D_RULES)["status"] == "completed"
    signals = _loan_warnings(client, "am.nongan", j["loan_id"])
    assert [(w["rule_id"], w["rule_version"]) for w in signals] == [("INTEREST_ARREARS", new["version"])]
    assert signals[0]["evidence"]["dpd"] == 2
    # the shipped version would have raised OVERDUE on the same facts
    assert "OVERDUE" in {f.rule_id for f in WarningRuleSet(shipped).evaluate("loan", signals[0]["evidence"])}
    assert parameters.get_effective("warning_rules", D_RULES)["value"]["decision"] == shipped["decision"]


def _the_lists_page_through_with_their_cursors(client):
    for path in ("/postloan/overdue", "/postloan/warnings", "/postloan/classification?category=special_mention"):
        whole = client.as_user("admin.nongan").get(f"{path}{'&' if '?' in path else '?'}limit=200").json()
        assert whole["items"] and not whole.get("cursor")
        seen, cursor, pages = [], None, 0
        while True:
            sep = "&" if "?" in path else "?"
            page = client.as_user("admin.nongan").get(f"{path}{sep}limit=4" + (f"&cursor={cursor}" if cursor else ""))
            assert page.status_code == 200, page.text
            seen += [i.get("signal_id") or i["loan_id"] for i in page.json()["items"]]
            cursor, pages = page.json().get("cursor"), pages + 1
            if not cursor:
                break
            assert pages < 100
        assert seen == [i.get("signal_id") or i["loan_id"] for i in whole["items"]] and pages > 1


def _draws_repaid_between_two_scans_still_count_as_cycling(stack, client, world):
    """Three loans drawn and repaid within days, none ever active at a daily scan: the disbursement hook
    noted each draw, so the next scan finds the household and raises the cycling signal."""
    from chalicelib.postloan.public import on_loan_opened

    day = date(2026, 9, 15)
    z = make_household(OTHER_VILLAGE, manager=world["me"]["am2.nongan"], tag="Z")
    for back in (5, 3, 1):
        loan = make_loan(z, start=day - timedelta(days=back), amount="3000.00", manager=world["me"]["am2.nongan"],
                         status="closed", closed_on=day - timedelta(days=back - 1))
        on_loan_opened(loan)
    assert run_job(stack, "loan_classification", day)["status"] == "completed"
    assert run_job(stack, "warning_scan", day)["status"] == "completed"
    cyc = [w for w in _household_warnings(client, "am2.nongan", z["household_id"]) if w["rule_id"] == "CYCLING"]
    assert len(cyc) == 1 and cyc[0]["evidence"]["draw_repay_cycles"] == 3


# ------------------------------------------------------------------------------------------------ the story's tests
#: The steps in date order (the daily jobs classify every loan of the stack: a later date run first would keep its
#: newer classification, so the timeline cannot run in another order).
TIMELINE = (
    "t7_reminders_and_first_inspections_exactly_once",
    "t1_reminders_and_visits",
    "first_day_overdue",
    "queries_show_warnings_to_the_right_people_only",
    "warning_lifecycle_and_no_duplicate_after_dismissal",
    "cure_and_portfolio_deterioration",
    "rating_expired_and_inspection_overdue_escalation",
    "classification_boundaries",
    "history_after_the_boundaries",
    "a_late_run_of_a_past_date_never_turns_the_clock_back",
    "the_portfolio_comparison_falls_back_to_the_newest_snapshot_of_the_week_before",
    "a_crashed_run_resumes_from_its_checkpoint",
    "a_run_in_slices_with_max_pages",
    "the_loan_opened_hook_plans_the_first_inspection_at_once",
    "visit_fields_are_validated_and_only_the_assignee_records_a_visit",
    "a_worsening_category_pulls_the_next_inspection_forward",
    "signals_carry_their_rule_version_and_only_the_assignee_or_an_admin_handles_them",
    "a_resolved_signal_is_not_reopened_until_its_condition_returns_worse",
    "a_malformed_loan_item_is_skipped_by_the_reminders",
    "a_new_warning_rules_version_changes_what_the_scan_raises",
    "the_lists_page_through_with_their_cursors",
    "draws_repaid_between_two_scans_still_count_as_cycling",
)


@pytest.fixture(scope="module")
def story(stack, client, world) -> Story:
    """The :data:`TIMELINE`, each step once, whichever test asks first (tests/story.py)."""
    steps: list[Step] = []
    for name in TIMELINE:
        if name == "classification_boundaries":  # one step per boundary date
            steps += [(f"{name}_{dpd}", _classification_boundaries, {"day": day, "dpd": dpd, "category": category,
                                                                      "level": level})
                      for day, dpd, category, level in BOUNDARIES]
        else:
            steps.append((name, globals()[f"_{name}"], {}))
    return Story(steps, stack=stack, client=client, world=world)


def test_t7_reminders_and_first_inspections_exactly_once(story):
    story.run("t7_reminders_and_first_inspections_exactly_once")


def test_t1_reminders_and_visits(story):
    story.run("t1_reminders_and_visits")


def test_first_day_overdue(story):
    story.run("first_day_overdue")


def test_queries_show_warnings_to_the_right_people_only(story):
    story.run("queries_show_warnings_to_the_right_people_only")


def test_warning_lifecycle_and_no_duplicate_after_dismissal(story):
    story.run("warning_lifecycle_and_no_duplicate_after_dismissal")


def test_cure_and_portfolio_deterioration(story):
    story.run("cure_and_portfolio_deterioration")


def test_rating_expired_and_inspection_overdue_escalation(story):
    story.run("rating_expired_and_inspection_overdue_escalation")


@pytest.mark.parametrize("dpd", [b[1] for b in BOUNDARIES])
def test_classification_boundaries(story, dpd):
    story.run(f"classification_boundaries_{dpd}")


def test_history_after_the_boundaries(story):
    story.run("history_after_the_boundaries")


def test_a_late_run_of_a_past_date_never_turns_the_clock_back(story):
    story.run("a_late_run_of_a_past_date_never_turns_the_clock_back")


def test_the_portfolio_comparison_falls_back_to_the_newest_snapshot_of_the_week_before(story):
    story.run("the_portfolio_comparison_falls_back_to_the_newest_snapshot_of_the_week_before")


def test_a_crashed_run_resumes_from_its_checkpoint(story):
    story.run("a_crashed_run_resumes_from_its_checkpoint")


def test_a_run_in_slices_with_max_pages(story):
    story.run("a_run_in_slices_with_max_pages")


def test_the_loan_opened_hook_plans_the_first_inspection_at_once(story):
    story.run("the_loan_opened_hook_plans_the_first_inspection_at_once")


def test_visit_fields_are_validated_and_only_the_assignee_records_a_visit(story):
    story.run("visit_fields_are_validated_and_only_the_assignee_records_a_visit")


def test_a_worsening_category_pulls_the_next_inspection_forward(story):
    story.run("a_worsening_category_pulls_the_next_inspection_forward")


def test_signals_carry_their_rule_version_and_only_the_assignee_or_an_admin_handles_them(story):
    story.run("signals_carry_their_rule_version_and_only_the_assignee_or_an_admin_handles_them")


def test_a_resolved_signal_is_not_reopened_until_its_condition_returns_worse(story):
    story.run("a_resolved_signal_is_not_reopened_until_its_condition_returns_worse")


def test_a_malformed_loan_item_is_skipped_by_the_reminders(story):
    story.run("a_malformed_loan_item_is_skipped_by_the_reminders")


def test_a_new_warning_rules_version_changes_what_the_scan_raises(story):
    story.run("a_new_warning_rules_version_changes_what_the_scan_raises")


def test_the_lists_page_through_with_their_cursors(story):
    story.run("the_lists_page_through_with_their_cursors")


def test_draws_repaid_between_two_scans_still_count_as_cycling(story):
    story.run("draws_repaid_between_two_scans_still_count_as_cycling")
