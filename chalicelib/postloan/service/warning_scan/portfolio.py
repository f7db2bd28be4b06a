"""The scan's first pass: every active loan once, shard by shard, summed into the portfolios of villages, account
managers and organisations, with the households drawn recently and those the judicial adapter lists. Each shard's
sums are kept as a part of the run (:func:`chalicelib.admin.public.put_run_part`) for the later phases."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.admin import public as jobs
from chalicelib.postloan.data import postloan
from chalicelib.postloan.domain.classification import classify
from chalicelib.postloan.domain.postloan import Portfolio
from chalicelib.postloan.service.common import WARNING_SCAN, Item, Page, active_on, loan_manager, skip


class ShardPass:
    """The sums of the shard being read (one shard at a time: whole units)."""

    def __init__(self, jr: jobs.JobRun, rule_doc: dict[str, Any]) -> None:
        self.jr, self.day, self.rule_doc = jr, jr.day, rule_doc
        self.reset()

    def reset(self, _shard: str | None = None) -> None:
        self.villages: dict[str, Portfolio] = {}
        self.managers: dict[str, Portfolio] = {}
        self.orgs: dict[str, Portfolio] = {}
        self.recent: dict[str, list[list[str]]] = {}
        self.judicial: dict[str, Any] = {}

    def fetch(self, shard: str, cursor: str | None) -> Page:
        if cursor is None:
            self.reset()
        return postloan.active_loans_page(shard, cursor)

    def _add(self, loan: Item, states: dict[str, Item], recent_from: str) -> None:
        day = self.day
        dpd = max(0, (day - date.fromisoformat(loan["next_due_date"])).days)
        st = states.get(loan["loan_id"])
        cat = st["category"] if st and st.get("classified_on") == day.isoformat() else classify(dpd, self.rule_doc).value
        mgr = loan_manager(loan)
        args: dict[str, Any] = dict(outstanding=Decimal(str(loan.get("outstanding_principal", 0))), dpd=dpd,
                                    category=cat, org_path=loan["org_path"], account_manager_id=mgr)
        if loan.get("village_code"):
            self.villages.setdefault(loan["village_code"], Portfolio()).add(**args)
        if mgr:
            self.managers.setdefault(mgr, Portfolio()).add(**args)
        self.orgs.setdefault(loan["org_path"], Portfolio()).add(**args)
        start = str(loan.get("start_date") or loan.get("disbursed_on") or "")
        if start > recent_from:
            self.recent.setdefault(loan["household_id"], []).append([loan["loan_id"], start])

    def handle(self, _shard: str, items: list[Item]) -> None:
        from chalicelib.adapters import judicial

        day = self.day
        items = [i for i in items if active_on(i, day)]
        overdue_ids = [i["loan_id"] for i in items if (i.get("next_due_date") or "9999") < day.isoformat()]
        states = postloan.states_by_id(overdue_ids) if overdue_ids else {}
        recent_from = (day - timedelta(days=2)).isoformat()  # drawn since the last daily scan (one day slack)
        for loan in items:
            try:
                self._add(loan, states, recent_from)
            except (KeyError, ValueError, TypeError) as exc:
                skip(self.jr, loan, exc)
        self.jr.count("active_loans", len(items))
        for hh, entry in judicial.listed({i["household_id"] for i in items}).items():
            self.judicial[hh] = entry

    def save_part(self, shard: str) -> None:
        jobs.put_run_part(WARNING_SCAN, self.day, f"shard-{shard}", {
            "villages": {k: p.to_dict() for k, p in self.villages.items()},
            "managers": {k: p.to_dict() for k, p in self.managers.items()},
            "orgs": {k: p.to_dict() for k, p in self.orgs.items()},
            "recent": self.recent, "judicial": self.judicial})
        self.reset()

    def run(self) -> None:
        self.jr.pages("portfolio", postloan.shards(), self.fetch, self.handle, whole_units=True,
                      on_unit_done=self.save_part)
