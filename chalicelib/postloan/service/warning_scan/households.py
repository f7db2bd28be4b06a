"""The scan's household rules (rule family ``household``): negative third-party data (judicial listing), a line
about to expire, a rating expired and not renewed, frequent draw-repay cycles (贷款频繁借还), over the households
the portfolio pass saw and those with an active signal. Windows: the ``postloan_policy`` parameter."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from chalicelib.admin import public as jobs
from chalicelib.postloan.data import scan as scan_repo
from chalicelib.postloan.service.common import WARNING_SCAN, Item, household_loans, household_manager, loan_manager
from chalicelib.postloan.service.warning_scan.rules import Scan


@dataclass
class _Households:
    """The facts the rules see and where each household belongs (``org_path``, ``village_code``,
    ``assignee_id``), built up by the steps below."""

    facts: dict[str, dict[str, Any]] = field(default_factory=dict)
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)

    def f(self, hh: str) -> dict[str, Any]:
        return self.facts.setdefault(hh, {"judicial_listed": False})

    def place(self, hh: str, item: Item, **more: Any) -> None:
        self.meta.setdefault(hh, {"org_path": item["org_path"], "village_code": item.get("village_code"), **more})

    def least(self, hh: str, name: str, value: int) -> None:
        cur = self.f(hh).get(name)
        self.f(hh)[name] = value if cur is None else min(cur, value)


def _from_parts(day: date) -> tuple[dict[str, Any], dict[str, list[tuple[str, str]]]]:
    """The judicial hits and the recent draws the portfolio pass kept, over every shard."""
    judicial_hits: dict[str, Any] = {}
    recent: dict[str, list[tuple[str, str]]] = {}
    for part in jobs.run_parts(WARNING_SCAN, day).values():
        judicial_hits.update(part.get("judicial") or {})
        for hh, seen in (part.get("recent") or {}).items():
            recent.setdefault(hh, []).extend((lid, start) for lid, start in seen)
    return judicial_hits, recent


def _cycling_candidates(day: date, recent: dict[str, list[tuple[str, str]]], window_from: str) -> set[str]:
    """Households seen drawing at least twice in the window (only those are looked at closely); the
    loan-opened hook notes draws too, so households whose loans were repaid before this scan count."""
    for back in (0, 1, 2):
        for hh in scan_repo.households_drawn_on(day - timedelta(days=back)):
            recent.setdefault(hh, [])
    draws = scan_repo.record_draws(recent, keep_from=window_from) if recent else {}
    return {hh for hh, d in draws.items() if len(d) >= 2}


def _expiring(scan: Scan, hs: _Households) -> list[Item]:
    """Note the lines about to expire; return the ratings about to expire."""
    from chalicelib.rating import public as ratings

    pol, about_to_expire = scan.pol, []
    for offset in range(0, max(pol.line_expiring_window_days, pol.rating_expired_lookback_days) + 1):
        for item in ratings.due_for_expiry((scan.day + timedelta(days=offset)).isoformat()):
            kind = item.get("kind")  # the expiry queue holds ratings and credit lines (rating.public)
            if kind == "credit_line" and offset <= pol.line_expiring_window_days:
                hs.least(item["household_id"], "line_days_to_expiry", offset)
                hs.place(item["household_id"], item)
            elif kind == "rating" and offset <= pol.rating_expired_lookback_days:
                about_to_expire.append(item)
    return about_to_expire


def _expired_ratings(scan: Scan, hs: _Households, about_to_expire: list[Item]) -> set[str]:
    """Ratings leave the expiry queue the night after their last valid day (rating_expiry job), so the scan
    notes the ones about to expire and reads those notes back once they have expired (and not renewed)."""
    from chalicelib.rating import public as ratings

    scan_repo.note_rating_expiries(about_to_expire)
    expired: set[str] = set()
    for back in range(1, scan.pol.rating_expired_lookback_days + 1):
        for note in scan_repo.rating_expiries(scan.day - timedelta(days=back)):
            hh = note["household_id"]
            if ratings.rating_valid(ratings.current_rating(hh), scan.day):
                continue  # re-rated since
            expired.add(hh)
            hs.least(hh, "rating_expired_days", back)
            hs.place(hh, note)
    return expired


def _loan_facts(scan: Scan, hs: _Households, hh: str, window_from: str, signal: Item | None) -> None:
    """A household's active loans and short draw-repay cycles in the window, and where it belongs."""
    loans = household_loans(hh)
    act = [ln for ln in loans if ln.get("status") == "active"]
    cycles = 0
    for ln in loans:
        start, closed = ln.get("start_date"), ln.get("closed_on")
        if ln.get("status") == "closed" and start and closed and start >= window_from and \
                (date.fromisoformat(closed) - date.fromisoformat(start)).days <= scan.pol.short_cycle_days:
            cycles += 1
    hs.f(hh).update(active_loans=len(act), draw_repay_cycles=cycles)
    if act:
        hs.place(hh, act[0])
        hs.meta[hh].setdefault("assignee_id", loan_manager(act[0]))
    elif loans:
        hs.place(hh, loans[-1])
    elif signal is not None:
        hs.place(hh, signal, assignee_id=signal.get("assignee_id"))


def households_phase(scan: Scan) -> None:
    """Evaluate the household rules of every household that may fire one or has an active signal."""
    judicial_hits, recent = _from_parts(scan.day)
    window_from = (scan.day - timedelta(days=scan.pol.cycling_window_days)).isoformat()
    cycling = _cycling_candidates(scan.day, recent, window_from)
    hs = _Households()
    for hh in judicial_hits:
        hs.f(hh)["judicial_listed"] = True
    expired = _expired_ratings(scan, hs, _expiring(scan, hs))
    signal_households = scan.active_of("household")
    for hh in cycling | expired | set(signal_households) | set(judicial_hits):
        _loan_facts(scan, hs, hh, window_from, signal_households.get(hh))
    for hh in sorted(hs.facts):
        if hh not in hs.meta:
            scan.count("households_without_org")
            continue
        m = {**hs.meta[hh], "household_id": hh}
        if not m.get("assignee_id"):
            m["assignee_id"] = household_manager(hh)
        hs.facts[hh].setdefault("active_loans", 0)
        scan.apply("household", hh, hs.facts[hh], m)
        scan.count("households_evaluated")
