"""``village-credit demo``: the main job end to end on the running local stack, through the API, as the people
who do each step, printing every step with its ids and links.

roster import (account manager ``am.nongan``) → campaign: rating, line proposal, public notice → confirmation
(institution admin ``admin.nongan``: separation of duties) → the clock moved past the public-notice period →
the farmer's face verification → drawdown (``Idempotency-Key``) → approved, contract signed, disbursed → repayment
schedule → an early repayment by the farmer → the revolving line restored.

The first run uses the README's showcase village (220122102202, roster ``docs/examples/roster_220122102202.csv``,
farmer ``farmer.demo``); each later run takes the next village of the same township (served by the same outlet)
that has no campaign yet (never the village of the README's API walk-through, ``infra.seed.WALKTHROUGH_VILLAGE``,
unless ``--village`` names it), with a synthetic roster (made-up people, well-formed ID numbers) and a farmer login
created in the local user pool for the household that got the largest line. When the business date is past the
shipped LPR table, the demo adds the missing months as the last published rates carried forward, marked as not
published (``infra.lpr_cli.fill_for_demo``): a real stack gets the published fixing from operations.

Exit 0 only when every step happened; otherwise one line ``ERROR <CODE>: step N (...): <message>``.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import typer

from infra.cli_support import CliError, StackApi

MANAGER, CONFIRMER, PROVINCE = "am.nongan", "admin.nongan", "province.admin"
#: Who decides each manual approval stage, should the rules send the drawdown to people.
DECIDERS = {"PENDING_INVESTIGATION": "am.nongan", "PENDING_REVIEW": "reviewer.nongan",
            "PENDING_APPROVAL": "approver.nongan"}
PRODUCT = "NH_XYD"
#: A placeholder "live photo" (the sandbox face adapter checks only that it is an image payload).
PHOTO = "bGl2ZS1waG90bw=="
FINAL = ("DISBURSED", "DECLINED", "REJECTED", "EXPIRED", "DISBURSEMENT_FAILED", "PENDING_RECONCILIATION")


@dataclass
class DemoResult:
    village_code: str
    campaign_id: str = ""
    farmer: str = ""
    household_id: str = ""
    line_id: str = ""
    drawdown_id: str = ""
    loan_id: str = ""
    repayment_id: str = ""
    business_dates: list[str] = field(default_factory=list)
    lpr_added: list[str] = field(default_factory=list)


class Demo:
    """One run; ``out`` prints a line (plain, never wrapped)."""

    def __init__(self, api: StackApi, pool_id: str, *, out: Callable[[str], None] = print, timeout: float = 300):
        self.api, self.pool_id, self.out, self.timeout = api, pool_id, out, timeout
        self.step_no = 0

    # ------------------------------------------------------------------ printing
    def step(self, title: str) -> None:
        self.step_no += 1
        self.title = title
        self.out(f"\n[{self.step_no:>2}] {title}")

    def fact(self, label: str, value: Any) -> None:
        self.out(f"     {label + ':':<18} {value}")

    def link(self, label: str, url: str) -> None:
        self.out(f"     {label}:")
        self.out(f"       {url}")

    def fail(self, code: str, message: str) -> CliError:
        return CliError(code, f"step {self.step_no} ({self.title}): {message}")

    def wait(self, what: str, read: Callable[[], Any], done: Callable[[Any], bool]) -> Any:
        deadline = time.monotonic() + self.timeout
        while True:
            value = read()
            if done(value):
                return value
            if time.monotonic() > deadline:
                raise self.fail("DEMO_TIMEOUT", f"{what} did not happen within {self.timeout:.0f} s")
            time.sleep(0.5)

    # ------------------------------------------------------------------ the run
    def run(self, village: str | None = None) -> DemoResult:
        api = self.api
        self.step("the stack and its business date")
        clock = api.clock()
        self.fact("API", api.base)
        self.fact("business date", f"{clock['business_date']} ({'pinned' if clock['pinned'] else 'calendar'})")
        today = date.fromisoformat(clock["business_date"])
        code = village or self.pick_village()
        taken = [c for c in api.call("GET", f"/villages/{code}/campaigns", MANAGER)["items"]
                 if c["period"] == str(today.year)]
        if taken:
            raise self.fail("CAMPAIGN_EXISTS", f"village {code} already has campaign {taken[0]['campaign_id']} "
                                               f"({taken[0]['status']}): run the demo for another village")
        self.fact("village", code)
        result = DemoResult(code, business_dates=[today.isoformat()])

        self.step(f"roster import into village {code} (as {MANAGER})")
        roster_name, roster = self.roster(code, today)
        self.import_roster(code, roster_name, roster)

        self.step(f"campaign: rating, line proposal, public notice (as {MANAGER})")
        c = api.call("POST", "/campaigns", MANAGER, json={"village_code": code})
        if c.get("created") is False:
            raise self.fail("CAMPAIGN_EXISTS", f"village {code} already has campaign {c['campaign_id']} "
                                               f"({c['status']}) for {c['period']}: run the demo for another village")
        result.campaign_id = cid = c["campaign_id"]
        self.fact("campaign", f"{cid} ({c.get('county_name', '')}{c.get('township_name', '')}"
                              f"{c.get('village_name', '')}, period {c['period']})")
        c = self.wait("the public notice", lambda: api.call("GET", f"/campaigns/{cid}", MANAGER),
                      lambda c: c["status"] not in ("running",))
        if c["status"] != "awaiting_confirmation":
            raise self.fail("CAMPAIGN_FAILED", f"campaign {cid} is {c['status']}: {c.get('error') or c.get('failures')}")
        self.fact("rated", f"{c['rated']} of {c['total']} households, by grade {c['by_grade']}, "
                           f"{c['lines_proposed']} lines proposed")
        self.fact("notice period", f"{c['notice']['notice_from']} – {c['notice']['notice_until']}")
        for fmt in ("pdf", "csv"):
            self.link(f"public notice {fmt}", api.call("GET", f"/campaigns/{cid}/notice?format={fmt}", MANAGER)["url"])
        self.link("campaign", api.url(f"/campaigns/{cid}"))

        self.step(f"confirmation by the institution (as {CONFIRMER}: not the one who started it)")
        api.call("POST", f"/campaigns/{cid}/confirm", CONFIRMER,
                 json={"comment": "公示期满，经审议无异议 (village-credit demo)"})
        c = self.wait("the lines' activation", lambda: api.call("GET", f"/campaigns/{cid}", MANAGER),
                      lambda c: c["status"] not in ("awaiting_confirmation", "activating"))
        if c["status"] != "completed":
            raise self.fail("CAMPAIGN_FAILED", f"campaign {cid} is {c['status']}")
        valid_from = date.fromisoformat(c["lines_valid_from"])
        self.fact("lines active", f"{c.get('activated')} (total {Decimal(c.get('active_limit_total') or 0):,.0f} 元), "
                                  f"valid from {valid_from}")

        self.step("the clock past the public-notice period (local stack only)")
        if today < valid_from:
            clock = api.clock("PUT", {"business_date": valid_from.isoformat()})
            self.fact("business date", f"{today} → {clock['business_date']}  (village-credit clock set {valid_from})")
            today = valid_from
        else:
            self.fact("business date", f"{today}: the lines are already valid")
        result.business_dates.append(today.isoformat())
        self.lpr_current(result)

        farmer, household_id, line = self.farmer_with_line(code, cid)
        result.farmer, result.household_id, result.line_id = farmer, household_id, line["line_id"]
        sub = next((s for s in line.get("sub_lines", []) if s["product_code"] == PRODUCT), None)
        if sub is None:
            raise self.fail("DEMO_NO_LINE", f"line {line['line_id']} has no {PRODUCT} sub-line")
        amount = min(Decimal("10000"), Decimal(line["available"]), Decimal(sub["available"]))
        amount = (amount // 100) * 100

        self.step(f"face verification (as {farmer}, in the mobile app)")
        face = api.call("POST", "/face-verifications", farmer, json={"image": PHOTO})
        if not face["passed"]:
            raise self.fail("FACE_VERIFICATION_FAILED", f"score {face['score']}")
        self.fact("face_verification", f"{face['face_verification_id']} (score {face['score']}, "
                                        f"expires {face['expires_at']})")

        self.step(f"drawdown of {amount:,.2f} 元 on line {line['line_id']} (as {farmer})")
        key = uuid.uuid4().hex
        body = {"line_id": line["line_id"], "product_code": PRODUCT, "amount": f"{amount:.2f}", "term_months": 12,
                "repayment_method": "equal_installment", "interest_period": "monthly", "purpose": "planting",
                "consent": True, "face_verification_id": face["face_verification_id"]}
        dd = api.call("POST", "/drawdowns", farmer, json=body, headers={"Idempotency-Key": key})
        result.drawdown_id = ddid = dd["drawdown_id"]
        pricing = dd.get("pricing") or {}
        self.fact("drawdown", f"{ddid} (Idempotency-Key {key})")
        self.fact("price", f"{Decimal(pricing['annual_rate']) * 100:.2f} % a year = {pricing.get('benchmark')} "
                           f"{Decimal(pricing.get('benchmark_rate') or 0) * 100:.2f} % (fixing of "
                           f"{pricing.get('benchmark_fixing_date')}) + {pricing.get('spread_bps')} bp"
                  if pricing.get("mode") == "lpr_spread" else f"{Decimal(pricing['annual_rate']) * 100:.2f} % fixed")
        self.link("drawdown", api.url(f"/drawdowns/{ddid}"))

        self.step("approval, contract signature and disbursement (Step Functions)")
        final = self.follow_drawdown(ddid, farmer)
        statuses = [h["status"] for h in final.get("history") or []]
        self.fact("status path", " → ".join(statuses))
        if final["status"] != "DISBURSED":
            raise self.fail("DRAWDOWN_NOT_DISBURSED", f"drawdown {ddid} ended {final['status']}: "
                                                      f"{final.get('failure') or final.get('decision')}")
        result.loan_id = loan_id = final["loan_id"]
        contract = api.call("GET", f"/drawdowns/{ddid}/contract", farmer)
        self.fact("contract", f"{contract['contract_no']} sha256 {contract['sha256'][:16]}…, "
                              f"{len(contract['signatures'])} signatures, intact {contract.get('document_intact')}")
        self.link("contract PDF", contract["download_url"])
        self.fact("loan", f"{loan_id} disbursed on {final['disbursed_on']}")

        self.step("repayment schedule")
        loan = api.call("GET", f"/loans/{loan_id}", farmer)
        installments = loan.get("installments") or []
        self.fact("loan", f"{Decimal(loan['principal']):,.2f} 元 at {Decimal(loan['annual_rate']) * 100:.2f} %, "
                          f"{loan['repayment_method']}, {loan['start_date']} – {loan['maturity_date']}")
        for i in installments[:3]:
            self.fact(f"  #{i['number']} {i['due_date']}", f"{Decimal(i['payment']):,.2f} = principal "
                                                            f"{Decimal(i['principal']):,.2f} + interest "
                                                            f"{Decimal(i['interest']):,.2f}")
        self.fact("installments", f"{len(installments)} in all")
        self.link("loan", api.url(f"/loans/{loan_id}"))
        if not installments:
            raise self.fail("SCHEDULE_MISSING", f"loan {loan_id} has no installments")

        self.step(f"early repayment (as {farmer}, mobile banking)")
        before = Decimal(api.call("GET", f"/lines/{line['line_id']}", farmer)["available"])
        principal = (amount * Decimal("0.4")) // 100 * 100
        paid = api.call("POST", f"/loans/{loan_id}/repayments", farmer,
                        json={"kind": "prepay_partial", "principal_amount": f"{principal:.2f}"},
                        headers={"Idempotency-Key": uuid.uuid4().hex})
        result.repayment_id = paid["repayment_id"]
        self.fact("repayment", f"{paid['repayment_id']}: {Decimal(paid['amount']):,.2f} 元 (principal "
                               f"{principal:,.2f} + interest to date), outstanding "
                               f"{Decimal(paid['outstanding_after']):,.2f} 元")

        self.step("the revolving line restored")
        after = Decimal(api.call("GET", f"/lines/{line['line_id']}", farmer)["available"])
        self.fact("line available", f"{before:,.2f} → {after:,.2f} 元 (+{after - before:,.2f})")
        self.link("line", api.url(f"/lines/{line['line_id']}"))
        if after != before + principal:
            raise self.fail("LINE_NOT_RESTORED", f"available {after}, expected {before + principal}")
        self.out(f"\ndone: village {code}, loan {loan_id} disbursed and repaid in part; the line is available again "
                 f"(business date {today}).")
        return result

    # ------------------------------------------------------------------ pieces
    def pick_village(self) -> str:
        """The showcase village while it has no campaign, else the next village of its township (the same outlet)
        with neither a campaign nor a household file; never the README walk-through's village."""
        from chalicelib.reference.divisions import villages_in_county
        from infra.seed import SHOWCASE_VILLAGE, WALKTHROUGH_VILLAGE

        township = SHOWCASE_VILLAGE[:9]
        codes = sorted(v.code for v in villages_in_county(township[:6])
                       if v.township_code == township and v.kind == "village"
                       and v.code not in (SHOWCASE_VILLAGE, WALKTHROUGH_VILLAGE))
        from infra.cli_support import ApiError

        for code in [SHOWCASE_VILLAGE, *codes]:  # another village only while nobody has filed anything there
            if self.api.call("GET", f"/villages/{code}/campaigns", MANAGER)["items"]:
                continue
            if code == SHOWCASE_VILLAGE:
                return code
            try:
                if not self.api.call("GET", f"/villages/{code}/households?limit=1", MANAGER)["items"]:
                    return code
            except ApiError:  # its files cannot even be listed: certainly not a fresh village
                continue
        raise CliError("DEMO_NO_VILLAGE_LEFT", f"every village of township {township} the demo takes has a campaign "
                                               "or household files: restart the stack (make run) for a fresh one")

    def roster(self, code: str, today: date) -> tuple[str, bytes]:
        from infra.seed import SHOWCASE_VILLAGE
        from infra.template import ROOT

        if code == SHOWCASE_VILLAGE:
            path = ROOT / "docs" / "examples" / f"roster_{code}.csv"
            households = roster_households(path.read_bytes())
            self.fact("roster", f"{path.relative_to(ROOT)} (the README's showcase village): {households} households; "
                                f"with the household of farmer.demo, which make run files there, the village has "
                                f"{households + 1}")
            return path.name, path.read_bytes()
        from infra.synthetic import roster_csv, village_households_in

        self.fact("roster", "12 synthetic households (made-up people, well-formed ID numbers)")
        return f"roster_{code}.csv", roster_csv(village_households_in(code, 12, seed=20261207, today=today))

    def import_roster(self, code: str, name: str, content: bytes) -> None:
        import requests

        api = self.api
        job = api.call("POST", "/imports", MANAGER, json={"village_code": code, "filename": name,
                                                          "content_type": "text/csv", "size": len(content)})
        up = requests.put(job["upload"]["url"], data=content, headers=job["upload"]["headers"], timeout=60)
        if up.status_code != 200:
            raise self.fail("UPLOAD_FAILED", f"S3 answered {up.status_code}")
        api.call("POST", f"/imports/{job['import_id']}/start", MANAGER, json={})
        done = self.wait("the roster import", lambda: api.call("GET", f"/imports/{job['import_id']}", MANAGER),
                         lambda j: j["status"] in ("completed", "failed"))
        if done["status"] != "completed":
            raise self.fail("IMPORT_FAILED", f"import {job['import_id']} {done['status']}: {done.get('error')}")
        self.fact("import", f"{job['import_id']}: {done['counts']}")
        submitted = 0
        cursor: str | None = None
        while True:
            page = api.call("GET", f"/villages/{code}/households?limit=200" + (f"&cursor={cursor}" if cursor else ""),
                            MANAGER)
            for h in page["items"]:
                if h["status"] == "draft":
                    api.call("POST", f"/households/{h['household_id']}/submit", MANAGER, json={"version": h["version"]})
                    submitted += 1
            cursor = page.get("cursor")
            if not cursor:
                break
        self.fact("submitted", f"{submitted} household files (draft → submitted, so the campaign rates them)")

    def lpr_current(self, result: DemoResult) -> None:
        from chalicelib.loans.domain.rates import assess, parse_lpr_table
        from infra.lpr_cli import fill_for_demo

        current = self.api.call("GET", "/parameters/lpr_fixings", PROVINCE)
        s = assess(parse_lpr_table(current["value"]), date.fromisoformat(result.business_dates[-1]), None)
        marked = set(current["value"].get("unpublished_fixings") or [])
        last_published = max((r[0] for r in current["value"]["fixings"] if r[0] not in marked), default="-")
        if not s.missing:
            self.fact("LPR table", f"current (last row {s.last_fixing}, last published fixing {last_published})")
            return
        stored, added = fill_for_demo(self.api, PROVINCE)
        if stored is None:  # another run filled it meanwhile
            self.fact("LPR table", f"current (last published fixing {last_published})")
            return
        result.lpr_added = added
        self.fact("LPR table", f"last row {s.last_fixing} (last published fixing {last_published}); "
                               + missing_fixings(added))
        self.fact("DEMO DATA", f"lpr_fixings version {stored['version']}: "
                               + ("that month" if len(added) == 1 else f"those {len(added)} months")
                               + " carried forward at the last published rates and marked NOT published (ops add the "
                                 "real fixing with `village-credit lpr add DATE --one-year R --five-year R`)")

    def farmer_with_line(self, code: str, cid: str) -> tuple[str, str, dict[str, Any]]:
        """The farmer who draws: ``farmer.demo`` when its household (showcase) got a line, else a login created for
        the household with the largest active line."""
        from infra.seed import FARMER_DEMO_HOUSEHOLD, SHOWCASE_VILLAGE, LoginTaken, add_farmer_login

        self.step("the farmer and the line")
        api = self.api
        if code == SHOWCASE_VILLAGE:
            lines = [ln for ln in api.call("GET", f"/households/{FARMER_DEMO_HOUSEHOLD}/lines", "farmer.demo")["items"]
                     if ln["status"] == "active" and Decimal(ln["available"]) >= 1000]
            if lines:
                self.fact("farmer", f"farmer.demo (household {FARMER_DEMO_HOUSEHOLD})")
                self.fact("line", f"{lines[0]['line_id']}: {Decimal(lines[0]['available']):,.2f} 元 available, grade "
                                  f"{lines[0].get('grade')}, valid {lines[0]['valid_from']} – {lines[0]['valid_to']}")
                return "farmer.demo", FARMER_DEMO_HOUSEHOLD, api.call("GET", f"/lines/{lines[0]['line_id']}",
                                                                      "farmer.demo")
            self.fact("farmer.demo", "its household got no line in this campaign: using another household")
        best: tuple[Decimal, str, str] | None = None
        cursor: str | None = None
        while True:
            page = api.call("GET", f"/campaigns/{cid}/ratings?limit=500" + (f"&cursor={cursor}" if cursor else ""),
                            MANAGER)
            for r in page["items"]:
                limit = Decimal(r.get("proposed_limit") or 0)
                if r.get("line_id") and r.get("status") != "withdrawn" and limit >= 1000 and (
                        best is None or limit > best[0]):
                    best = (limit, r["household_id"], r["line_id"])
            cursor = page.get("cursor")
            if not cursor:
                break
        if best is None:
            raise self.fail("DEMO_NO_LINE", f"campaign {cid} gave no household a line")
        _, household_id, line_id = best
        line = api.call("GET", f"/lines/{line_id}", MANAGER)
        if line["status"] != "active":
            raise self.fail("DEMO_NO_LINE", f"line {line_id} of household {household_id} is {line['status']}")
        username = f"farmer.{code}"
        try:
            created = add_farmer_login(api.endpoint, self.pool_id, username, household_id, code)
        except LoginTaken as exc:
            raise self.fail("LOGIN_EXISTS", str(exc)) from None
        api.forget(username)
        self.fact("farmer", f"{username} ({'created' if created else 'already'} in the local user pool, password as "
                            f"the demo users; household {household_id}; `village-credit farmer add` does the same)")
        self.fact("line", f"{line_id}: {Decimal(line['available']):,.2f} 元 available, grade {line.get('grade')}, "
                          f"valid {line['valid_from']} – {line['valid_to']}")
        return username, household_id, api.call("GET", f"/lines/{line_id}", username)

    def follow_drawdown(self, ddid: str, farmer: str) -> dict[str, Any]:
        """Wait for a final status; decide open manual approval steps as the staff of each stage."""
        api = self.api
        decided: set[str] = set()

        def read() -> dict[str, Any]:
            d = api.call("GET", f"/drawdowns/{ddid}", farmer)
            user = DECIDERS.get(d["status"])
            if user and d["status"] not in decided:
                for t in api.call("GET", "/tasks", user)["items"]:
                    if t["drawdown_id"] == ddid and t["status"] == "open":
                        api.call("POST", f"/tasks/{t['task_id']}/decision", user,
                                 json={"outcome": "approve", "comment": "village-credit demo: approved"})
                        self.fact(f"{t['stage']} by", user)
                        decided.add(d["status"])
            return d

        return self.wait(f"drawdown {ddid} to finish", read, lambda d: d["status"] in FINAL)


def roster_households(content: bytes) -> int:
    """How many households a roster CSV lists: the distinct 户编号 (household number) of its rows."""
    import csv
    import io

    return len({row["户编号"] for row in csv.DictReader(io.StringIO(content.decode("utf-8-sig")))})


def missing_fixings(added: list[str]) -> str:
    """"the fixing due D is missing" / "the N fixings due D1 … Dn are missing" for the dates ``added``."""
    if len(added) == 1:
        return f"the fixing due {added[0]} is missing"
    return f"the {len(added)} fixings due {added[0]} … {added[-1]} are missing"


def demo(village: str | None = typer.Option(None, "--village", help="12-digit village code (default: the "
                                                                        "showcase village, then the next one)"),
         timeout: float = typer.Option(300, help="seconds to wait for each asynchronous step")) -> None:
    """Walk the main job on the running stack: roster → campaign → confirmation → clock → face verification →
    drawdown → disbursed → schedule → repayment → line restored. Exit 0 only if all of it happened."""
    from infra.cli_support import stack_state, use_stack, village_argument

    if village is not None:
        village_argument(village)  # before the stack is asked anything
    state = stack_state()
    use_stack(state)
    api = StackApi.of(state)
    Demo(api, state["env"]["USER_POOL_ID"], out=typer.echo, timeout=timeout).run(village)

