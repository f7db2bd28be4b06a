"""What the post-loan API reads, in the caller's scope: warnings, the overdue and classification lists, portfolio
summaries, a loan's classification with its history and penalties, inspections, notifications, job runs. Out of
scope reads answer 404 like unknown ones; listings simply leave out what the caller may not see."""
from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.errors import NotFound
from chalicelib.postloan.data import inspections, notifications, postloan
from chalicelib.postloan.data import scan as scan_repo
from chalicelib.postloan.data import warnings as warning_repo
from chalicelib.postloan.domain.classification import Category

Items = tuple[list[dict[str, Any]], str | None]
CATEGORIES = [c.value for c in Category]
NPL = ["substandard", "doubtful", "loss"]


def _org_path(principal: Principal, org_id: str | None, village_code: str | None) -> str:
    """The org path a list query covers: a village's, an organisation's (404 ``ORG_NOT_FOUND``, field
    ``org_id``, when unknown or out of scope), or the caller's own."""
    from chalicelib.admin import public as orgs

    if village_code:
        return str(orgs.get_village(principal, village_code)["org_path"])
    if org_id:
        org = orgs.get_org(org_id)
        if org is None or not principal.can_see(org_path=org["org_path"]):
            raise NotFound("organisation not found", code="ORG_NOT_FOUND", field="org_id")
        return str(org["org_path"])
    return principal.org_path


def _scope_of(principal: Principal, org_id: str | None, village_code: str | None) -> tuple[list[str], str]:
    """``(institution ids, org_path prefix)`` of a list query in the caller's scope."""
    path = _org_path(principal, org_id, village_code)
    parts = [p for p in path.split("/") if p]
    return ([parts[1]] if len(parts) >= 2 else postloan.institutions()), path


# ------------------------------------------------------------------------------------------------ warnings
def active_warnings(principal: Principal, *, assignee: str | None, org_id: str | None, village_code: str | None,
             level: str | None, limit: int, cursor: str | None) -> Items:
    """Active warnings: one account manager's queue (``assignee``, red first) or those of an organisation
    subtree or village. Raises NotFound ``ORG_NOT_FOUND`` / ``VILLAGE_NOT_FOUND``, BadRequest ``INVALID_CURSOR``."""
    if assignee:
        return warning_repo.list_assigned(principal, assignee, level=level, limit=limit, cursor=cursor)
    insts, path = _scope_of(principal, org_id, village_code)
    return warning_repo.list_active(principal, org_path=path, institution_ids=insts, village_code=village_code,
                                    level=level, limit=limit, cursor=cursor)


def warning(principal: Principal, signal_id: str) -> dict[str, Any]:
    """One warning (404 ``WARNING_NOT_FOUND``)."""
    return warning_repo.get(principal, signal_id)


def loan_warnings(principal: Principal, loan_id: str) -> list[dict[str, Any]]:
    """A loan's warnings (every status), newest first; 404 ``LOAN_NOT_FOUND``."""
    loan = loan_in_scope(principal, loan_id)
    return warning_repo.history(principal, "household", loan["household_id"], loan_id=loan_id)


def household_warnings(principal: Principal, household_id: str) -> list[dict[str, Any]]:
    """A household's warnings and its loans' (every status), newest first; 404 ``HOUSEHOLD_NOT_FOUND``."""
    return warning_repo.for_household(principal, household_id)


# ------------------------------------------------------------------------------------------------ loans
def loan_in_scope(principal: Principal, loan_id: str) -> dict[str, Any]:
    """The loan (loans' item, else our state) if in the caller's scope; 404 ``LOAN_NOT_FOUND``."""
    from chalicelib.loans import public as loans

    item = loans.get(loan_id) or postloan.get_state(loan_id)
    return principal.ensure_can_see(item, "loan")


def at_risk(principal: Principal, *, categories: list[str] | None, org_id: str | None, village_code: str | None,
            min_dpd: int, limit: int, cursor: str | None) -> Items:
    """At-risk loans (overdue or not pass) of the given categories (``None``: all) in the caller's scope,
    worst first. Raises NotFound ``ORG_NOT_FOUND`` / ``VILLAGE_NOT_FOUND``, BadRequest ``INVALID_CURSOR``
    (field ``cursor``) for a cursor not issued by this listing."""
    insts, path = _scope_of(principal, org_id, village_code)
    wanted = [c for c in sorted(CATEGORIES, key=lambda c: -Category(c).rank) if c in (categories or CATEGORIES)]
    units = [(inst, cat) for inst in insts for cat in wanted]
    pos, inner = dynamo.decode_unit_cursor(cursor, units=len(units))
    out: list[dict[str, Any]] = []
    while pos < len(units) and len(out) < limit:
        inst, cat = units[pos]
        items, inner = postloan.risk_list_page(principal, inst, cat, org_path=path, village_code=village_code,
                                               min_dpd=min_dpd, limit=limit - len(out), cursor=inner)
        out.extend(items)
        if inner is None:
            pos += 1
    return out, dynamo.encode_unit_cursor(pos, inner) if pos < len(units) else None


def summary(principal: Principal, *, org_id: str | None, village_code: str | None) -> dict[str, Any]:
    """The latest portfolio snapshot of a village, or of an organisation (default: the caller's). Raises NotFound
    ``VILLAGE_NOT_FOUND``, ``ORG_NOT_FOUND`` (field ``org_id``), ``SUMMARY_NOT_FOUND`` (no scan covered it yet)."""
    from chalicelib.admin import public as orgs

    if village_code:
        orgs.get_village(principal, village_code)
        snap = scan_repo.latest_snapshot("village", village_code)
    else:
        org_id = org_id or principal.org_id
        org = orgs.get_org(org_id)
        if org is None or not principal.can_see(org_path=org["org_path"]):
            raise NotFound("organisation not found", code="ORG_NOT_FOUND", field="org_id")
        snap = scan_repo.latest_snapshot("org", org_id)
    if snap is None:
        raise NotFound("no warning scan has covered this scope yet", code="SUMMARY_NOT_FOUND")
    return snap


def loan_classification(principal: Principal, loan_id: str) -> dict[str, Any]:
    """A loan's category, days past due, classification history and penalty accruals; 404 ``LOAN_NOT_FOUND``."""
    loan_in_scope(principal, loan_id)
    state = postloan.get_state(loan_id) or {}
    return {"loan_id": loan_id, "category": state.get("category", "pass"), "dpd": int(state.get("dpd") or 0),
            "classified_on": state.get("classified_on"), "history": postloan.history(loan_id),
            "penalties": postloan.penalties(loan_id)}


# ------------------------------------------------------------------------------------------------ the rest
def inspections_of(principal: Principal, assignee_id: str, *, status: str, due_before: date | None, limit: int,
                   cursor: str | None) -> Items:
    """An account manager's inspection tasks (see :func:`inspections.list_assigned`)."""
    return inspections.list_assigned(principal, assignee_id, status=status, due_before=due_before, limit=limit,
                                     cursor=cursor)


def inspection(principal: Principal, task_id: str) -> dict[str, Any]:
    """One inspection task (404 ``INSPECTION_NOT_FOUND``)."""
    return inspections.get(principal, task_id)


def household_notifications(principal: Principal, household_id: str) -> list[dict[str, Any]]:
    """Notifications sent to a household, newest first; 404 ``HOUSEHOLD_NOT_FOUND``."""
    return notifications.for_recipient(principal, "household", household_id)


def job_run(principal: Principal, job: str, business_date: str) -> dict[str, Any]:
    """A post-loan job's run on a business date. Raises NotFound ``JOB_NOT_FOUND`` (field ``job``),
    ``JOB_RUN_NOT_FOUND``, ValidationFailed ``BUSINESS_DATE_INVALID``."""
    from chalicelib.admin import public as admin
    from chalicelib.postloan.service.common import JOBS

    if job not in JOBS:
        raise NotFound(f"no job {job}", code="JOB_NOT_FOUND", field="job")
    return admin.visible_run(principal, job, business_date)
