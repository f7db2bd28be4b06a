"""The product end to end on real input, through the public API only: a real Jilin village code
(220122103201 后岭村委会, 靠山镇, 农安县), a roster uploaded to S3 and imported, households rated and lines
proposed by the campaign state machine, the public notice, the institution's confirmation, lines
live; then a farmer of that village draws on the line from the mobile app, the drawdown is approved
by the rules and disbursed through the approval and disbursement state machines, and a repayment
restores the revolving line."""
from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from decimal import Decimal

import requests

from tests.conftest import HANG_GUARD_SECONDS, wait_for
from tests.integration.loans_support import business_date, farmer_user, lpr_fixings_through

VILLAGE = "220122103201"  # 后岭村委会, 靠山镇, 农安县 (NBS 2023 list); served by the 靠山镇 outlet
CAMPAIGN_DAY = date(2026, 11, 30)


def _get(client, user, path):
    r = client.as_user(user).get(path)
    assert r.status_code == 200, f"{path}: {r.status_code} {r.text[:300]}"
    return r.json()


def test_village_to_disbursed_loan_and_back(client, stack):
    from infra.synthetic import roster_csv, village_households_in

    admin = "admin.nongan"  # the 靠山镇 outlet is not am.nongan's; the institution's admin runs this one
    with business_date(CAMPAIGN_DAY):
        # 1. roster upload (presigned S3 PUT) and import
        roster = roster_csv(village_households_in(VILLAGE, 12, seed=7, today=CAMPAIGN_DAY))
        staff = client.as_user("province.admin")
        assert staff.post("/imports", json={"village_code": VILLAGE, "filename": "r.csv",
                                           "content_type": "text/csv", "size": len(roster)}).status_code == 403
        am = _am_for_village(client, stack)
        r = client.as_user(am).post("/imports", json={"village_code": VILLAGE, "filename": "roster.csv",
                                                      "content_type": "text/csv", "size": len(roster)})
        assert r.status_code in (200, 201), r.text
        job = r.json()
        up = requests.put(job["upload"]["url"], data=roster, headers=job["upload"]["headers"],
                          timeout=HANG_GUARD_SECONDS)
        assert up.status_code == 200
        assert client.as_user(am).post(f"/imports/{job['import_id']}/start", json={}).status_code in (200, 202)
        done = wait_for(lambda: (lambda j: j if j["status"] in ("completed", "failed") else None)(
            _get(client, am, f"/imports/{job['import_id']}")), what="roster import")
        assert done["status"] == "completed" and done["counts"]["created"] == 12, done
        households = _get(client, am, f"/villages/{VILLAGE}/households?limit=100")["items"]
        assert len(households) == 12
        for h in households:
            if h["status"] == "draft":
                s = client.as_user(am).post(f"/households/{h['household_id']}/submit",
                                            json={"version": h["version"]})
                assert s.status_code == 200, s.text

        # 2. the campaign: rate, propose, evaluate, notice, wait for the institution
        r = client.as_user(am).post("/campaigns", json={"village_code": VILLAGE})
        assert r.status_code == 202, r.text
        cid = r.json()["campaign_id"]
        c = wait_for(lambda: (lambda c: c if c["status"] in ("awaiting_confirmation", "failed") else None)(
            _get(client, am, f"/campaigns/{cid}")), interval=0.5, what="campaign notice")
        assert c["status"] == "awaiting_confirmation", c
        assert c["rated"] == 12
        notice = _get(client, am, f"/campaigns/{cid}/notice?format=csv")
        rows = requests.get(notice["url"], timeout=HANG_GUARD_SECONDS).content.decode("utf-8-sig").splitlines()
        assert rows[0].split(",") == ["序号", "村民小组", "户编号", "户主姓名", "身份证号", "信用等级", "拟授信额度(元)"]
        assert len(rows) > 1 and all(re.fullmatch(r"220122\*{8}\d{3}[\dX]", r.split(",")[4]) for r in rows[1:])
        # the roster's household numbers (its file numbers them 0001 ... 0012), never internal ids
        assert {r.split(",")[2] for r in rows[1:]} <= {f"{n:04d}" for n in range(1, 13)}
        ok = client.as_user(admin).post(f"/campaigns/{cid}/confirm", json={"comment": "公示期满，无异议"})
        assert ok.status_code == 200, ok.text
        c = wait_for(lambda: (lambda c: c if c["status"] in ("completed", "failed") else None)(
            _get(client, am, f"/campaigns/{cid}")), interval=0.5, what="lines activated")
        assert c["status"] == "completed", c
        valid_from = date.fromisoformat(c["lines_valid_from"])

        # 3. a household with a live line; its farmer logs in to the mobile app
        lined = []
        for h in households:
            lines = _get(client, am, f"/households/{h['household_id']}/lines")["items"]
            lined += [(h["household_id"], ln) for ln in lines if ln["status"] == "active"]
        assert lined, "the campaign activated no line"
        household_id, line = max(lined, key=lambda hl: Decimal(hl[1]["limit"]))
    farmer = farmer_user(stack, household_id)
    assert _get(client, farmer, f"/households/{household_id}/lines")["items"][0]["line_id"] == line["line_id"]
    other = next(h["household_id"] for h in households if h["household_id"] != household_id)
    assert client.as_user(farmer).get(f"/households/{other}/lines").status_code == 404

    draw_day = max(valid_from, CAMPAIGN_DAY) + timedelta(days=1)
    lpr_fixings_through(draw_day)
    with business_date(draw_day):
        # 4. self-service drawdown: face verification, rules, contract, disbursement saga
        app = client.as_user(farmer)
        face = app.post("/face-verifications", json={"image": "bGl2ZS1waG90bw=="})
        assert face.status_code in (200, 201), face.text
        body = {"line_id": line["line_id"], "product_code": "NH_XYD", "amount": "10000.00", "term_months": 12,
                "repayment_method": "equal_installment", "interest_period": "monthly", "purpose": "planting",
                "consent": True, "face_verification_id": face.json()["face_verification_id"]}
        key = uuid.uuid4().hex
        r = app.post("/drawdowns", json=body, headers={"Idempotency-Key": key})
        assert r.status_code == 202, r.text
        dd = r.json()
        replay = app.post("/drawdowns", json=body, headers={"Idempotency-Key": key})
        assert replay.json()["drawdown_id"] == dd["drawdown_id"]
        final = wait_for(lambda: (lambda d: d if d["status"] in ("DISBURSED", "DECLINED", "DISBURSEMENT_FAILED",
                                                                 "PENDING_INVESTIGATION") else None)(
            _get(client, farmer, f"/drawdowns/{dd['drawdown_id']}")), what="disbursement")
        assert final["status"] == "DISBURSED", final
        loan = _get(client, farmer, f"/loans/{final['loan_id']}")
        assert Decimal(loan["outstanding_principal"]) == Decimal("10000.00")
        after_draw = _get(client, farmer, f"/lines/{line['line_id']}")
        assert Decimal(after_draw["available"]) == Decimal(line["available"]) - Decimal("10000.00")

        # 5. an early partial repayment restores the revolving line by the principal repaid
        r = client.as_user(am).post(f"/loans/{final['loan_id']}/repayments",
                                    json={"kind": "prepay_partial", "principal_amount": "4000.00"},
                                    headers={"Idempotency-Key": uuid.uuid4().hex})
        assert r.status_code in (200, 201), r.text
        restored = _get(client, farmer, f"/lines/{line['line_id']}")
        assert Decimal(restored["available"]) == Decimal(after_draw["available"]) + Decimal("4000.00")

    # 6. nobody of the other institution sees any of it
    assert client.as_user("admin.yushu").get(f"/campaigns/{cid}").status_code == 404
    assert client.as_user("admin.yushu").get(f"/loans/{final['loan_id']}").status_code == 404


def _am_for_village(client, stack) -> str:
    """An account manager of the outlet serving VILLAGE (created in the local pool like any staff user)."""
    from chalicelib.admin.data import orgs
    from infra.seed import DemoUser, seed_users

    org_id = orgs.village_assignment(VILLAGE)["org_id"]
    seed_users(stack.endpoint, stack.env["USER_POOL_ID"], [DemoUser("am.kaoshan", "account_manager", org_id)])
    return "am.kaoshan"
