"""The entry of the daily post-loan jobs (``functions/jobs/*.py`` call :func:`run_job`; each is one run per
business date, checkpointed and resumable, see :mod:`chalicelib.admin.service.jobs`), in their daily order:

1. ``loan_classification`` (:mod:`.classification`), 2. ``penalty_accrual`` (:mod:`.penalty`), 3. ``inspections``
(:mod:`.inspections`), 4. ``warning_scan`` (:mod:`.warning_scan`), 5. ``reminders`` (:mod:`.reminders`).
Jobs 2-5 need job 1 for the same date (:class:`~chalicelib.postloan.service.common.PrerequisiteNotMet` otherwise).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.admin import public as jobs
from chalicelib.postloan.service.common import CLASSIFICATION, INSPECTIONS, JOBS, PENALTY, REMINDERS, WARNING_SCAN

__all__ = ["JOBS", "run_job"]


def run_job(job: str, event: Any, context: Any) -> dict[str, Any]:
    """Run ``job`` (one of :data:`JOBS`) for the business date of ``event`` (the schedule's input); returns the
    run's outcome (``status``, ``counters``...). Raises ``KeyError`` for an unknown job."""
    from chalicelib.postloan.service.classification import classification_job
    from chalicelib.postloan.service.inspections import inspections_job
    from chalicelib.postloan.service.penalty import penalty_job
    from chalicelib.postloan.service.reminders import reminders_job
    from chalicelib.postloan.service.warning_scan import warning_scan_job

    bodies: dict[str, Callable[[jobs.JobRun], dict[str, Any] | None]] = {
        CLASSIFICATION: classification_job, PENALTY: penalty_job, INSPECTIONS: inspections_job,
        WARNING_SCAN: warning_scan_job, REMINDERS: reminders_job}
    return jobs.run(job, event, context, bodies[job])
