"""What other contexts may use of the admin context: the organisation tree, the villages each organisation serves,
and the runner of the daily jobs (with their run records). Every other context may import this module (the
context map in docs/decisions/0006-bounded-contexts-and-pynamodb.md); nothing here imports another context.

Items come back as plain dicts (the shapes below) until the context's models are the interface (Phase B).
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from chalicelib.admin.data import orgs as _orgs
from chalicelib.platform.access import Principal
from chalicelib.platform.errors import NotFound

if TYPE_CHECKING:
    from chalicelib.admin.service.jobs import JobRun, NotYet, run

__all__ = ["JobRun", "NotYet", "get_org", "get_village", "institutions", "put_run_part", "run", "run_of", "run_parts",
           "village_assignment", "village_not_found", "visible_run"]


# ----------------------------------------------------------------------------------------- organisations
def get_org(org_id: str) -> dict[str, Any] | None:
    """The organisation ``{"org_id", "name", "level" (province | institution | branch | outlet), "parent_id",
    "org_path" ("/JL/JL-220122/.../"), "county_code"}``, or ``None``. Unscoped."""
    return _orgs.get_org(org_id)


def get_village(principal: Principal, code: str) -> dict[str, Any]:
    """The assignment of village ``code`` (12 digits) ``{"village_code", "village_name", "township_code",
    "township_name", "county_code", "county_name", "org_id", "org_path"}`` if the caller may use it (staff: served
    within their organisation's subtree; a farmer: their own household's village). Raises NotFound
    ``VILLAGE_NOT_FOUND`` (field ``village_code``) otherwise, the same for every code."""
    return _orgs.get_village(principal, code)


def institutions() -> list[str]:
    """The ids of the institutions (the province union's direct children), sorted."""
    from chalicelib.platform.access import SYSTEM

    return _orgs.institutions(SYSTEM.org_id)


def village_assignment(code: str) -> dict[str, Any] | None:
    """The assignment of village ``code`` (shape of :func:`get_village`), or ``None``. Unscoped: system tasks."""
    return _orgs.village_assignment(code)


def village_not_found() -> NotFound:
    """The one answer (404 ``VILLAGE_NOT_FOUND``, field ``village_code``) for a village the caller may not use."""
    return _orgs.village_not_found()


# ----------------------------------------------------------------------------------------- daily jobs
# ``run(job, event, context, body)`` runs ``body(JobRun)`` as the run of ``job`` for the event's business date:
# once per date, resumable from its checkpoint, leased to one invocation at a time (admin/service/jobs.py).
# ``NotYet``: raised by a body that must wait for another job of its date. ``JobRun``: the run's state.
# The three come from the job runner when first asked for (PEP 562), so that the many functions that import this
# module for the organisation tree do not load the runner.
_RUNNER = ("JobRun", "NotYet", "run")


def __getattr__(name: str) -> Any:
    if name in _RUNNER:
        from chalicelib.admin.service import jobs

        return getattr(jobs, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

def run_of(job: str, day: date | str) -> dict[str, Any] | None:
    """The run record of ``job`` on business date ``day`` ``{"job", "business_date", "status" (running |
    completed), "checkpoint", "attempts", "result", ...}``, or ``None``."""
    from chalicelib.admin.data import job_runs

    return job_runs.get(job, day)


def run_parts(job: str, day: date) -> dict[str, Any]:
    """Every partial result the run kept between invocations: ``{name: data}``."""
    from chalicelib.admin.data import job_runs

    return job_runs.parts(job, day)


def put_run_part(job: str, day: date, name: str, data: Any) -> None:
    """Keep a partial result of the run (JSON-like ``data``, compressed; under DynamoDB's 400 KB)."""
    from chalicelib.admin.data import job_runs

    job_runs.put_part(job, day, name, data)


def visible_run(principal: Principal, job: str, day: str) -> dict[str, Any]:
    """The run of ``job`` on ``day`` as the API shows it ``{"job", "business_date", "status", "attempts",
    "started_at", "updated_at", "completed_at", "checkpoint", "result", "last_error"}``, for a caller whose scope
    is the whole province; NotFound ``JOB_RUN_NOT_FOUND`` (field ``business_date``) otherwise, or when it never ran;
    ValidationFailed ``BUSINESS_DATE_INVALID`` when ``day`` is not a date."""
    from chalicelib.admin.data import job_runs

    return job_runs.public_view(job_runs.get_visible(principal, job, day))
