"""Job 5, ``reminders`` (提醒): repayment due (T-7, T-1), overdue, line expiry (T-30), rating expiry (T-30, and
``rating_expired_manager`` on its last valid day), by SMS to the household and push to the account manager (the
outbox sends each exactly once); a malformed loan item is skipped and counted (``loans_skipped``). Days: the
``postloan_policy`` parameter; texts: ``notification_templates``."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.admin import public as jobs
from chalicelib.postloan.data import notifications, postloan
from chalicelib.postloan.domain import notification_templates as nt
from chalicelib.postloan.domain.postloan import PostLoanPolicy, overdue_reminder_due
from chalicelib.postloan.service.common import Item, active_on, bank_name, household_manager, require_classified, skip
from chalicelib.postloan.service.config import notification_templates, policy

_MALFORMED = (KeyError, ValueError, TypeError, ArithmeticError)


@dataclass
class _Sender:
    jr: jobs.JobRun
    pol: PostLoanPolicy
    templates: dict[str, Any]

    def send(self, template: str, *, recipient_type: str, recipient_id: str | None, reference: str, about: str,
             org_path: str, household_id: str | None, fields: dict[str, Any]) -> None:
        if not recipient_id:
            self.jr.count("reminders_without_recipient")
            return
        channel, text = nt.render(self.templates, template, {"bank": bank_name(org_path), **fields})
        outcome = notifications.send_once(template=template, channel=channel, recipient_type=recipient_type,
                                          recipient_id=recipient_id, reference=reference, about=about, day=self.jr.day,
                                          text=text, org_path=org_path, household_id=household_id)
        self.jr.count(f"{template}_{outcome}")

    def due(self, days_before: int, due_on: date, items: list[Item]) -> None:
        """Repayment due on ``due_on``: the unpaid principal and interest of that installment."""
        for loan in (i for i in items if active_on(i, self.jr.day)):
            try:
                amount = Decimal(str(loan["next_due_amount"]))
                if not amount.is_finite():
                    raise ValueError(f"next_due_amount {amount}")
                fields = {"loan_ref": nt.ref(loan["loan_id"]), "due_date": due_on.isoformat(), "amount": amount}
                self.send(f"repayment_due_t{days_before}", recipient_type="household",
                          recipient_id=loan["household_id"], reference=loan["loan_id"], about=due_on.isoformat(),
                          org_path=loan["org_path"], household_id=loan["household_id"], fields=fields)
            except _MALFORMED as exc:  # a malformed loan item: counted and logged, the run goes on
                skip(self.jr, loan, exc)

    def overdue(self, items: list[Item]) -> None:
        day = self.jr.day
        for st in items:
            try:
                dpd = int(st.get("dpd") or 0)
                if st.get("status") != "active" or st.get("classified_on") != day.isoformat() \
                        or not overdue_reminder_due(self.pol, dpd):
                    continue
                fields = {"loan_ref": nt.ref(st["loan_id"]), "dpd": dpd,
                          "overdue_principal": Decimal(str(st.get("overdue_principal") or 0)),
                          "category_zh": nt.CATEGORY_ZH.get(st.get("category", "pass"), "")}
                where = dict(reference=st["loan_id"], about=day.isoformat(), org_path=st["org_path"],
                             household_id=st["household_id"], fields=fields)
                self.send("overdue", recipient_type="household", recipient_id=st["household_id"], **where)
                self.send("overdue_manager", recipient_type="user", recipient_id=st.get("account_manager_id"), **where)
            except _MALFORMED as exc:  # a malformed state: skipped
                skip(self.jr, st, exc)

    def expiries(self) -> None:
        """Line and rating expiry reminders."""
        self.line_expiries()
        self.rating_expiries()

    def line_expiries(self) -> None:
        from chalicelib.rating import public as ratings

        for n in self.pol.line_expiry_reminder_days_before:
            valid_to = self.jr.day + timedelta(days=n)
            for line in ratings.due_for_expiry(valid_to.isoformat()):
                if line.get("kind") != "credit_line":
                    continue
                hh = line["household_id"]
                where = dict(reference=line["line_id"], about=valid_to.isoformat(), org_path=line["org_path"],
                             household_id=hh, fields={"valid_to": valid_to.isoformat(), "days": n,
                                                      "household_ref": nt.ref(hh)})
                self.send(f"line_expiry_t{n}", recipient_type="household", recipient_id=hh, **where)
                self.send("line_expiry_manager", recipient_type="user", recipient_id=household_manager(hh), **where)

    def rating_expiries(self) -> None:
        from chalicelib.rating import public as ratings

        for n in self.pol.rating_expiry_reminder_days_before:
            valid_to = self.jr.day + timedelta(days=n)
            for rating in ratings.due_for_expiry(valid_to.isoformat()):
                if rating.get("kind") != "rating":
                    continue
                hh = rating["household_id"]
                # T-0 is the rating's last valid day: "已于…到期"; before that "将于…到期（还有n天）"
                self.send("rating_expiry_manager" if n else "rating_expired_manager", recipient_type="user",
                          recipient_id=household_manager(hh), reference=rating["rating_id"],
                          about=f"{valid_to.isoformat()}#T{n}", org_path=rating["org_path"], household_id=hh,
                          fields={"valid_to": valid_to.isoformat(), "days": n, "household_ref": nt.ref(hh)})


def _due_pass(jr: jobs.JobRun, sender: _Sender, days_before: int, due_on: date) -> None:
    """The repayment reminders of the installments due on ``due_on`` (``days_before`` the run's date)."""
    def fetch(shard: str, cursor: str | None) -> tuple[list[Item], str | None]:
        return postloan.active_loans_page(shard, cursor, due_on=due_on)

    def handle(_shard: str, items: list[Item]) -> None:
        sender.due(days_before, due_on, items)

    jr.pages(f"due_t{days_before}", postloan.shards(), fetch, handle)


def reminders_job(jr: jobs.JobRun) -> dict[str, Any]:
    """The body of the ``reminders`` run of ``jr.day`` (needs that date's classification)."""
    day = jr.day
    require_classified(day)
    sender = _Sender(jr, policy(day), notification_templates(day))
    for days_before in sender.pol.repayment_reminder_days_before:
        _due_pass(jr, sender, days_before, day + timedelta(days=days_before))
    jr.pages("overdue", postloan.institutions(), lambda i, c: postloan.risk_page(i, c),
             lambda _i, items: sender.overdue(items))
    jr.step("expiries", sender.expiries)
    return {}
