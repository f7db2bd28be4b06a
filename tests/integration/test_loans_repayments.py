"""Loan accounts after disbursement: the schedule (checked against a published reference case and the
domain), scheduled repayments with penalty interest and the allocation order, early partial repayments
by the product's prepayment mode, payoff, the revolving line restored, and idempotency."""
from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.integration.loans_support import (
    BUSINESS_DATE,
    business_date,
    drawdown_body,
    line_amounts,
    lpr_fixings_through,
    make_borrower,
    parameter_override,
    pinned_date,
    request,
    wait_status,
)

pytestmark = pytest.mark.usefixtures(pinned_date.__name__)
D = Decimal


def _loan(client, line_id: str, **overrides) -> dict:
    dd = request(client, "am.nongan", drawdown_body(line_id, **overrides)).json()
    done = wait_status(dd["drawdown_id"], "DISBURSED", "PENDING_INVESTIGATION", "DECLINED", "DISBURSEMENT_FAILED")
    assert done["status"] == "DISBURSED", done["status"]
    return client.as_user("am.nongan").get(f"/loans/{done['loan_id']}").json()


def _repay(client, loan_id: str, key: str | None = None, **body):
    return client.as_user("am.nongan").post(f"/loans/{loan_id}/repayments", json=body,
                                            headers={"Idempotency-Key": key or uuid.uuid4().hex})


def _products_with(code: str, **changes) -> list[dict]:
    from chalicelib.platform import parameters

    doc = parameters.get_effective("products", BUSINESS_DATE)["value"]
    for p in doc["products"]:
        if p["product_code"] == code:
            for k, v in changes.items():
                p[k] = {**p.get(k, {}), **v} if isinstance(v, dict) else v
    return doc["products"]


def test_the_schedule_of_a_loan_matches_the_published_reference_case(client):
    ref = next(c for c in json.loads(Path("tests/fixtures/amortization_reference_cases.json").read_text())["cases"]
               if c["id"] == "npf-doc-schedule-2500-8.24pct-12m")
    b = make_borrower()
    fixed = {"pricing": {"default_mode": "fixed", "fixed_rate_default": "0.0824"}}
    with parameter_override("products", products=_products_with("NH_XYD", **fixed)):
        loan = _loan(client, b["line_id"], amount="2500.00", term_months=12)
    assert D(str(loan["annual_rate"])) == D("0.0824")
    rows = loan["installments"]
    assert len(rows) == 12 and D(rows[0]["payment"]) == D(str(-ref["expected"]["payment"]))
    for row, expected in zip(rows[:-1], ref["expected"]["schedule"][:-1], strict=False):
        assert abs(D(row["principal"]) - D(str(-expected["principal"]))) <= D("0.01"), row
        assert abs(D(row["interest"]) - D(str(-expected["interest"]))) <= D("0.01"), row
    assert sum(D(r["principal"]) for r in rows) == D("2500")
    assert abs(sum(D(r["interest"]) for r in rows) - D(str(-ref["expected"]["total_interest"]))) <= D("0.02")
    assert rows[0]["due_date"] == "2026-12-30" and loan["maturity_date"] == "2027-11-30"


def test_scheduled_partial_and_full_repayments_restore_the_line_and_close_the_loan(client):
    from chalicelib.adapters import sms
    from chalicelib.loans.domain.repayment import penalty_interest
    from chalicelib.loans.domain.schedules import build_schedule

    b = make_borrower(limit="100000", subs={"NH_XYD": "50000"})
    loan = _loan(client, b["line_id"], amount="12000.00")
    lid = loan["loan_id"]
    expected = build_schedule(principal=D("12000"), annual_rate=D("0.045"), method="equal_installment",
                              term_months=12, start_date=BUSINESS_DATE)
    assert [(r["due_date"], D(r["principal"]), D(r["interest"])) for r in loan["installments"]] == \
        [(i.due_date.isoformat(), i.principal, i.interest) for i in expected.installments]
    assert line_amounts(b["line_id"]) == {"master": D("88000"), "NH_XYD": D("38000")}

    nothing = _repay(client, lid, kind="due", amount="10.00")
    assert nothing.status_code == 422 and nothing.json()["error"]["code"] == "NOTHING_DUE"

    # early partial repayment on day 15: interest to date, same maturity, lower installments (reduce_installment)
    with business_date(BUSINESS_DATE + timedelta(days=15)):
        key = uuid.uuid4().hex
        r = _repay(client, lid, key, kind="prepay_partial", principal_amount="3000.00")
        assert r.status_code == 201, r.text
        again = _repay(client, lid, key, kind="prepay_partial", principal_amount="3000.00")
    rp = r.json()
    assert again.json()["repayment_id"] == rp["repayment_id"]
    assert D(rp["applied"]["interest"]) == D("22.50") and D(rp["amount"]) == D("3022.50")  # 12000 × 4.5 % × 15/360
    assert D(rp["outstanding_after"]) == D("9000")
    assert line_amounts(b["line_id"])["master"] == D("91000") and line_amounts(b["line_id"])["NH_XYD"] == D("41000")
    after = client.as_user("am.nongan").get(f"/loans/{lid}").json()
    assert after["maturity_date"] == loan["maturity_date"] and after["schedule_version"] == 2
    assert D(after["installments"][1]["payment"]) < D(loan["installments"][1]["payment"])
    assert sum(D(i["principal"]) for i in after["installments"]) == D("9000")
    assert len(after["repayments"]) == 1

    # first installment left unpaid 10 days past its due date (grace 3 days): penalty on the overdue principal
    first = after["installments"][0]
    late = date.fromisoformat(first["due_date"]) + timedelta(days=10)
    with business_date(late):
        quote = client.as_user("am.nongan").get(f"/loans/{lid}").json()["quote"]
        penalty = penalty_interest(D(first["principal"]), D("0.045"), D("0.5"), days=10)
        assert D(quote["due"]["penalty"]) == penalty > 0
        assert D(quote["due"]["interest"]) == D(first["interest"])
        partial = _repay(client, lid, kind="due", amount=str(penalty + D("1.00"))).json()
        assert D(partial["applied"]["penalty"]) == penalty and D(partial["applied"]["interest"]) == D("1.00")
        assert D(partial["applied"]["principal"]) == 0  # allocation order: penalty → interest → principal
        rest = D(quote["due"]["total"]) - penalty - D("1.00")
        paid = _repay(client, lid, kind="due", amount=str(rest)).json()
        assert D(paid["applied"]["principal"]) == D(first["principal"])
        too_much = _repay(client, lid, kind="due", amount="1.00")
        assert too_much.json()["error"]["code"] == "NOTHING_DUE"
    state = client.as_user("am.nongan").get(f"/loans/{lid}").json()
    assert state["installments"][0]["status"] == "paid" and state["next_due_date"] == state["installments"][1]["due_date"]

    # pay off: the whole line comes back, the loan closes
    with business_date(late + timedelta(days=5)):
        quote = client.as_user("am.nongan").get(f"/loans/{lid}").json()["quote"]
        wrong = _repay(client, lid, kind="prepay_full", amount=str(D(quote["payoff"]) - 1))
        assert wrong.json()["error"]["code"] == "PAYOFF_AMOUNT_MISMATCH"
        done = _repay(client, lid, kind="prepay_full", amount=quote["payoff"]).json()
    assert done["loan_status"] == "closed" and D(done["outstanding_after"]) == 0
    closed = client.as_user("am.nongan").get(f"/loans/{lid}").json()
    assert closed["status"] == "closed" and all(i["status"] == "paid" for i in closed["installments"])
    assert line_amounts(b["line_id"])["master"] == D("100000") and line_amounts(b["line_id"])["NH_XYD"] == D("50000")
    assert any("已结清" in m["text"] for m in sms.sandbox_messages(lid))
    assert _repay(client, lid, kind="due", amount="1.00").json()["error"]["code"] == "LOAN_CLOSED"


def test_draw_and_repay_bullet_loan_charges_daily_interest_on_early_repayment(client):
    b = make_borrower()
    loan = _loan(client, b["line_id"], amount="10000.00", term_months=6, repayment_method="bullet")
    assert len(loan["installments"]) == 1 and loan["maturity_date"] == "2027-05-30"
    with business_date(BUSINESS_DATE + timedelta(days=60)):
        r = _repay(client, loan["loan_id"], kind="prepay_partial", principal_amount="4000.00").json()
    assert D(r["applied"]["interest"]) == D("75.00")  # 10,000 × 4.5 % × 60 / 360
    after = client.as_user("am.nongan").get(f"/loans/{loan['loan_id']}").json()
    inst = after["installments"][0]
    assert D(inst["principal"]) == D("6000") and inst["period_start"] == "2027-01-29"
    assert D(inst["interest"]) == D("90.75")  # 6,000 × 4.5 % × 121 / 360, rounded half-up
    assert line_amounts(b["line_id"])["master"] == D("94000")


def test_shorten_term_prepayment_keeps_the_installment_and_ends_earlier(client):
    b = make_borrower()
    shorter = {"prepayment": {"mode": "allowed_without_fee", "recompute_mode": "shorten_term"}}
    with parameter_override("products", products=_products_with("NH_XYD", **shorter)):
        loan = _loan(client, b["line_id"], amount="24000.00", term_months=24)
    assert loan["prepayment_mode"] == "shorten_term"
    with business_date(BUSINESS_DATE + timedelta(days=10)):
        r = _repay(client, loan["loan_id"], kind="prepay_partial", principal_amount="8000.00")
        assert r.status_code == 201, r.text
    after = client.as_user("am.nongan").get(f"/loans/{loan['loan_id']}").json()
    assert len(after["installments"]) < 24 and after["maturity_date"] < loan["maturity_date"]
    assert D(after["installments"][1]["payment"]) == D(loan["installments"][1]["payment"])
    assert sum(D(i["principal"]) for i in after["installments"]) == D("16000")


def test_an_overdue_loan_sends_the_next_drawdown_to_people(client):
    b = make_borrower(limit="100000", subs={"NH_XYD": "100000"})
    loan = _loan(client, b["line_id"], amount="6000.00")
    overdue_day = date.fromisoformat(loan["installments"][0]["due_date"]) + timedelta(days=5)
    lpr_fixings_through(overdue_day)
    with business_date(overdue_day):
        dd = request(client, "am.nongan", drawdown_body(b["line_id"], amount="2000.00")).json()
        done = wait_status(dd["drawdown_id"], "PENDING_INVESTIGATION", "DISBURSED")
    assert done["status"] == "PENDING_INVESTIGATION"
    assert done["decision"]["facts"]["overdue_loans"] == 1
    assert "AA04" in {f["rule_id"] for f in done["decision"]["fired"]}


def test_people_of_another_county_and_other_farmers_cannot_see_or_repay_a_loan(client, stack):
    from tests.integration.loans_support import farmer_user

    b = make_borrower()
    loan = _loan(client, b["line_id"], amount="3000.00")
    assert client.as_user("am.yushu").get(f"/loans/{loan['loan_id']}").status_code == 404
    stranger = farmer_user(stack, make_borrower()["household_id"])
    assert client.as_user(stranger).get(f"/loans/{loan['loan_id']}").status_code == 404
    r = client.as_user(stranger).post(f"/loans/{loan['loan_id']}/repayments", json={"kind": "due", "amount": "1.00"},
                                      headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 404
    owner = farmer_user(stack, b["household_id"])
    listed = client.as_user(owner).get(f"/loans?household_id={b['household_id']}").json()["items"]
    assert [x["loan_id"] for x in listed] == [loan["loan_id"]]


def test_a_fixed_repayment_day_makes_a_broken_first_period(client):
    from chalicelib.loans.domain.schedules import accrue_interest

    b = make_borrower()
    loan = _loan(client, b["line_id"], amount="12000.00", first_due_date="2026-12-21")
    first, second = loan["installments"][:2]
    assert (first["period_start"], first["due_date"], second["due_date"]) == ("2026-11-30", "2026-12-21", "2027-01-21")
    assert D(first["interest"]) == accrue_interest(D("12000"), D("0.045"), BUSINESS_DATE, date(2026, 12, 21)) == D("31.50")
    bad = request(client, "am.nongan", drawdown_body(b["line_id"], first_due_date="2027-03-01"))
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "FIRST_DUE_DATE_INVALID"


def test_seventeen_concurrent_repayments_of_one_loan_all_apply_once_in_some_order(client):
    """Repayments of one loan are serialised by the server, not bounced: 17 prepayments sent at once (distinct
    keys, real threads) all succeed; each applied once, one after another (every repayment starts from the
    balance the previous one left); the loan and the line move by exactly their sum."""
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.loans.data import loans

    b = make_borrower(limit="100000", subs={"NH_XYD": "50000"})
    loan = _loan(client, b["line_id"], amount="20000.00")
    lid = loan["loan_id"]
    amounts = [D("300.00") + D("17.31") * i for i in range(17)]  # distinct, so each step is identifiable
    with ThreadPoolExecutor(max_workers=len(amounts)) as pool:
        answers = list(pool.map(lambda a: _repay(client, lid, kind="prepay_partial", principal_amount=str(a)), amounts))
    assert [a.status_code for a in answers] == [201] * len(amounts), [a.text for a in answers if a.status_code != 201]
    paid = [a.json() for a in answers]
    total = sum(amounts, D("0"))  # 17 × 300 + 17.31 × (0 + 1 + … + 16) = 5,100 + 2,354.16
    assert total == D("7454.16")
    # on the disbursement day no interest has accrued: each repayment is exactly the principal asked for
    assert all(D(p["applied"]["interest"]) == 0 and D(p["amount"]) == D(p["applied"]["principal"]) for p in paid)
    assert sorted(D(p["applied"]["principal"]) for p in paid) == sorted(amounts)
    assert len({p["repayment_id"] for p in paid}) == len(amounts)
    # applied in sequence: ordered by the balance they left, each left the previous balance minus its own amount
    chain = sorted(paid, key=lambda p: D(p["outstanding_after"]), reverse=True)
    before = D("20000.00")
    for p in chain:
        assert D(p["outstanding_after"]) == before - D(p["applied"]["principal"]), (before, p)
        before = D(p["outstanding_after"])
    stored = loans.get(lid)
    assert stored["outstanding_principal"] == D("20000.00") - total == before
    assert len(loans.repayments(lid)) == len(amounts)
    assert sum((D(r["amount"]) for r in loans.repayments(lid)), D("0")) == total
    assert sum((D(i["principal"]) for i in loans.installments(lid)), D("0")) == D("20000.00") - total
    # the line: available = limit − outstanding − reserved (nothing reserved), master and sub-line
    assert line_amounts(b["line_id"]) == {"master": D("100000") - (D("20000.00") - total),
                                          "NH_XYD": D("50000") - (D("20000.00") - total)}


def test_concurrent_prepayments_beyond_the_balance_are_refused_with_their_code_never_bounced(client):
    """17 prepayments of 1,000 sent at once on a 10,000 loan: the first nine fit (a prepayment must leave
    something to repay: at 1,000 outstanding the tenth would repay the whole loan), the other eight are
    refused as what they are, PREPAYMENT_EXCEEDS_BALANCE, after re-reading the loan; none gets a 409."""
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.loans.data import loans

    b = make_borrower(limit="100000", subs={"NH_XYD": "50000"})
    lid = _loan(client, b["line_id"], amount="10000.00")["loan_id"]
    with ThreadPoolExecutor(max_workers=17) as pool:
        answers = list(pool.map(lambda _: _repay(client, lid, kind="prepay_partial", principal_amount="1000.00"),
                                range(17)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] * 9 + [422] * 8, [a.text for a in answers if a.status_code not in (201, 422)]
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 422} == {"PREPAYMENT_EXCEEDS_BALANCE"}
    assert loans.get(lid)["outstanding_principal"] == D("1000.00")
    assert len(loans.repayments(lid)) == 9
    assert line_amounts(b["line_id"]) == {"master": D("99000.00"), "NH_XYD": D("49000.00")}


def test_an_idempotency_key_is_scoped_to_its_caller(client):
    """The same Idempotency-Key from the same user replays the first repayment; from another user it is another
    request (docs/decisions/0004-idempotency-key-scope.md), so both repayments apply."""
    b = make_borrower(limit="100000", subs={"NH_XYD": "50000"})
    lid = _loan(client, b["line_id"], amount="10000.00")["loan_id"]
    key = uuid.uuid4().hex
    body = {"kind": "prepay_partial", "principal_amount": "1000.00"}

    def repay_as(user: str):
        return client.as_user(user).post(f"/loans/{lid}/repayments", json=body, headers={"Idempotency-Key": key})

    first = repay_as("am.nongan")
    replay = repay_as("am.nongan")
    other = repay_as("am2.nongan")
    assert (first.status_code, replay.status_code, other.status_code) == (201, 201, 201)
    assert replay.json() == first.json()
    assert other.json()["repayment_id"] != first.json()["repayment_id"]
    assert D(first.json()["outstanding_after"]) == D("9000.00") and D(other.json()["outstanding_after"]) == D("8000.00")
    after = client.as_user("am.nongan").get(f"/loans/{lid}").json()
    assert D(after["outstanding_principal"]) == D("8000.00") and len(after["repayments"]) == 2
    assert line_amounts(b["line_id"]) == {"master": D("100000") - D("8000.00"), "NH_XYD": D("50000") - D("8000.00")}


def test_a_repayment_turn_left_behind_by_a_crashed_request_frees_the_loan_once_its_lease_runs_out(client):
    """A request that died holding the loan's repayment turn does not block the loan: the next repayment takes the
    turn over when the lease has run out, applies, and gives the turn back."""
    from chalicelib.loans.data import loans
    from chalicelib.platform import dynamo
    from chalicelib.platform.settings import get_settings

    b = make_borrower(limit="100000", subs={"NH_XYD": "50000"})
    lid = _loan(client, b["line_id"], amount="10000.00")["loan_id"]
    assert loans.take_turn(lid, "crashed-request", lease_seconds=1.5)  # never given back
    assert not loans.take_turn(lid, "someone-else", lease_seconds=1.5)
    r = _repay(client, lid, kind="prepay_partial", principal_amount="1000.00")
    assert r.status_code == 201, r.text
    assert loans.get(lid)["outstanding_principal"] == D("9000.00")
    turn = loans.turn_key(lid)
    assert dynamo.get(get_settings().core_table, turn["PK"], turn["SK"]) is None


def test_concurrent_repayments_of_many_loans_of_one_line_all_apply_with_drawdowns_in_between(client):
    """Issue found by a probe: 30 concurrent repayments over 15 loans of one line, 4 bounced with 409 LOAN_BUSY.
    The per-loan turn does not line them up (they are different loans): the contention is on the line, which
    every repayment restored conditioned on the amount it had read. Now the restore is commutative: 32
    repayments (two per loan, distinct amounts) sent at once, with three new drawdowns (reserving on the line)
    and the disbursement of a signed drawdown whose transfer fails (releasing its reservation) in between, all
    answer 201; every loan moves by exactly its repayments, and the line ends at limit − outstanding − reserved,
    master and sub-line."""
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.loans.data import loans
    from chalicelib.rating.data import line_usage
    from tests.integration.loans_support import disburse, script_core, signed_drawdown, stored

    limit = D("1000000")
    b = make_borrower(limit=str(limit), subs={"NH_XYD": str(limit)})
    with ThreadPoolExecutor(max_workers=4) as pool:
        loan_ids = list(pool.map(lambda _: _loan(client, b["line_id"], amount="20000.00")["loan_id"], range(16)))
    failing = signed_drawdown(client, b, amount="10000.00")
    script_core(failing, transfer=["fail"])
    assert line_amounts(b["line_id"])["master"] == limit - 16 * D("20000.00") - D("10000.00")
    payments = [(lid, D("100.00") + D("7.01") * (2 * n + k)) for n, lid in enumerate(loan_ids) for k in range(2)]
    assert client.as_user("am.nongan").get("/me").status_code == 200  # token fetched before the race

    def repay(payment):
        lid, amount = payment
        return _repay(client, lid, kind="prepay_partial", principal_amount=str(amount))

    with ThreadPoolExecutor(max_workers=len(payments) + 4) as pool:
        draws = [pool.submit(request, client, "am.nongan", drawdown_body(b["line_id"], amount="10000.00"))
                 for _ in range(3)]
        released = pool.submit(disburse, client, failing)
        answers = list(pool.map(repay, payments))
        draws, released = [f.result() for f in draws], released.result()
    assert [a.status_code for a in answers] == [201] * len(payments), [a.text for a in answers if a.status_code != 201]
    assert [d.status_code for d in (*draws, released)] == [202] * 4, [d.text for d in (*draws, released)]
    assert wait_status(failing, "DISBURSEMENT_FAILED")["status"] == "DISBURSEMENT_FAILED"
    new_loans = [wait_status(d.json()["drawdown_id"], "DISBURSED")["loan_id"] for d in draws]
    for lid in loan_ids:
        paid = sum((amount for loan, amount in payments if loan == lid), D("0"))
        assert loans.get(lid)["outstanding_principal"] == D("20000.00") - paid, lid
        assert len(loans.repayments(lid)) == 2
    outstanding = sum((D(loans.get(lid)["outstanding_principal"]) for lid in (*loan_ids, *new_loans)), D("0"))
    # independently: 19 loans drawn, every payment was principal only (the disbursement day accrues nothing)
    assert outstanding == 16 * D("20000.00") + 3 * D("10000.00") - sum((a for _, a in payments), D("0"))
    reservations = [stored(d.json()["drawdown_id"]) for d in draws] + [stored(failing)]
    assert all(line_usage.get_reservation(b["line_id"], r["drawdown_id"])["status"] in ("committed", "released")
               for r in reservations)
    assert line_amounts(b["line_id"]) == {"master": limit - outstanding, "NH_XYD": limit - outstanding}


def test_a_restore_never_lifts_a_line_above_its_limit_even_where_the_amounts_disagree(client):
    """The cap of the restore stays for data where available ≠ limit − outstanding (say a line corrected by
    hand): a repayment that would lift the line above its limit leaves it at the limit, master and sub-line,
    and the repayment itself applies."""
    from chalicelib.loans.data import loans
    from chalicelib.platform import dynamo
    from chalicelib.platform.settings import get_settings
    from chalicelib.rating.data import credit_lines

    b = make_borrower(limit="100000", subs={"NH_XYD": "50000"})
    lid = _loan(client, b["line_id"], amount="10000.00")["loan_id"]
    table = get_settings().core_table
    for key, available in ((credit_lines.key(b["line_id"]), "99000.00"),
                           (credit_lines.sub_key(b["line_id"], "NH_XYD"), "49500.00")):
        dynamo.client().update_item(TableName=table, Key=dynamo.to_item(key), UpdateExpression="SET available = :a",
                                    ExpressionAttributeValues=dynamo.to_item({":a": D(available)}))
    r = _repay(client, lid, kind="prepay_partial", principal_amount="4000.00")
    assert r.status_code == 201, r.text
    assert r.json()["line_restored"] == {"master_available": "100000", "sub_available": "50000"}
    assert loans.get(lid)["outstanding_principal"] == D("6000.00")
    assert line_amounts(b["line_id"]) == {"master": D("100000"), "NH_XYD": D("50000")}
