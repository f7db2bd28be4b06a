"""The scan's portfolio rules (rule families ``village`` and ``account_manager``: overdue and NPL rates, and an
account manager's overdue rate against the snapshot of ``portfolio_compare_days`` before) and the day's portfolio
snapshots of villages, account managers and every organisation up the tree."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from chalicelib.admin import public as jobs
from chalicelib.postloan.data import scan as scan_repo
from chalicelib.postloan.domain.postloan import Portfolio
from chalicelib.postloan.service.common import WARNING_SCAN, Item
from chalicelib.postloan.service.warning_scan.rules import Scan


def _sums(scan: Scan) -> tuple[dict[str, Portfolio], dict[str, Portfolio], dict[str, Portfolio]]:
    """The portfolio pass's sums over every shard: by village, by account manager, by org path."""
    villages: dict[str, Portfolio] = {}
    managers: dict[str, Portfolio] = {}
    org_paths: dict[str, Portfolio] = {}
    for part in jobs.run_parts(WARNING_SCAN, scan.day).values():
        for target, name in ((villages, "villages"), (managers, "managers"), (org_paths, "orgs")):
            for k, d in (part.get(name) or {}).items():
                target.setdefault(k, Portfolio()).merge(Portfolio.from_dict(d))
    return villages, managers, org_paths


def _villages(scan: Scan, villages: dict[str, Portfolio]) -> None:
    from chalicelib.admin import public as orgs

    for code in sorted(set(villages) | {sid for (k, sid) in scan.active if k == "village"}):
        p = villages.get(code) or Portfolio()
        village = orgs.village_assignment(code) or {}
        org_path = p.org_path or village.get("org_path")
        if not org_path:
            continue
        facts = {"loan_count": p.loan_count, "overdue_rate": p.overdue_rate, "npl_rate": p.npl_rate}
        scan.apply("village", code, facts, {"org_path": village.get("org_path") or org_path, "village_code": code,
                                            "assignee_id": p.main_manager, "village_name": village.get("village_name")})
        scan.count("villages_evaluated")


def _compare_with(scan: Scan, managers: dict[str, Portfolio]) -> dict[str, Item]:
    """Each account manager's snapshot of ``portfolio_compare_days`` before (no scan on exactly that day: the
    newest of the week before it), by manager id."""
    compare = scan.day - timedelta(days=scan.pol.portfolio_compare_days)
    before = scan_repo.snapshots("manager", list(managers), compare) if managers else {}
    for m in managers:
        if m not in before:
            near = scan_repo.snapshot_near("manager", m, compare, earliest=compare - timedelta(days=7))
            if near is not None:
                before[m] = near
    return before


def _managers(scan: Scan, managers: dict[str, Portfolio]) -> None:
    before = _compare_with(scan, managers)
    for mgr in sorted(set(managers) | {sid for (k, sid) in scan.active if k == "account_manager"}):
        p = managers.get(mgr) or Portfolio()
        prev = before.get(mgr)
        change = p.overdue_rate - Decimal(str(prev["overdue_rate"])) if prev else Decimal("0")
        sig = scan.active.get(("account_manager", mgr)) or {}
        org_path = p.org_path or (next(iter(sig.values()))["org_path"] if sig else None)
        if not org_path:
            continue
        facts = {"loan_count": p.loan_count, "overdue_rate": p.overdue_rate, "npl_rate": p.npl_rate,
                 "overdue_rate_change": change}
        scan.apply("account_manager", mgr, facts, {"org_path": org_path, "assignee_id": mgr})
        scan.count("managers_evaluated")


def _ancestors(org_path: str) -> list[tuple[str, str]]:
    """``/JL/JL-220122/X/`` → ``[("JL", "/JL/"), ("JL-220122", "/JL/JL-220122/"), ("X", "/JL/JL-220122/X/")]``."""
    parts = [p for p in org_path.split("/") if p]
    return [(parts[i], "/" + "/".join(parts[:i + 1]) + "/") for i in range(len(parts))]


def _snapshot_values(p: Portfolio) -> dict[str, Any]:
    return {"org_path": p.org_path, "loan_count": p.loan_count, "outstanding": p.outstanding,
            "overdue_count": p.overdue_count, "overdue_outstanding": p.overdue_outstanding,
            "npl_outstanding": p.npl_outstanding, "overdue_rate": p.overdue_rate, "npl_rate": p.npl_rate}


def _snapshots(scan: Scan, villages: dict[str, Portfolio], managers: dict[str, Portfolio],
               org_paths: dict[str, Portfolio]) -> None:
    by_org: dict[str, Portfolio] = {}
    for path, p in org_paths.items():
        for org_id, org_path in _ancestors(path):
            by_org.setdefault(org_id, Portfolio(org_path=org_path)).merge(p)
    written = scan_repo.put_snapshots(scan.day, village={k: _snapshot_values(p) for k, p in villages.items()},
                                      manager={k: _snapshot_values(p) for k, p in managers.items()},
                                      org={k: _snapshot_values(p) for k, p in by_org.items()})
    scan.count("snapshots", written)


def portfolios_phase(scan: Scan) -> None:
    """Evaluate the village and account-manager rules and store the day's portfolio snapshots."""
    villages, managers, org_paths = _sums(scan)
    _villages(scan, villages)
    _managers(scan, managers)
    _snapshots(scan, villages, managers, org_paths)
