"""The daily jobs recover by themselves, as their schedules fire them every 20 minutes through a window
(template.yaml): a job whose prerequisite has not completed answers ``waiting`` (not an error that would
end in the dead-letter queue) and runs on a later fire; a run left behind by an invocation that died
holding its lease (out of memory, killed at its timeout) is resumed by the first fire after the lease
ran out. Business dates before every loan of the suite, so that no other test's loan is touched."""
from __future__ import annotations

from datetime import date

from tests.integration.postloan_support import run_job


def test_a_job_waits_for_the_classification_of_its_date_then_runs(stack):
    from chalicelib.admin.data import job_runs

    day = date(2019, 1, 7)  # before every loan of the suite: nothing else is touched
    first = run_job(stack, "penalty_accrual", day)
    assert first["status"] == "waiting" and "classification" in first["reason"]
    run = job_runs.get("penalty_accrual", day)
    assert run["status"] == "running" and "lease_until" not in run  # the lease is given back at once
    assert run_job(stack, "warning_scan", day)["status"] == "waiting"

    assert run_job(stack, "loan_classification", day)["status"] == "completed"
    assert run_job(stack, "penalty_accrual", day)["status"] == "completed"
    assert job_runs.get("penalty_accrual", day)["attempts"] == 2


def test_a_run_left_behind_by_a_dead_invocation_resumes_when_its_lease_runs_out(stack):
    from chalicelib.admin.data import job_runs
    from chalicelib.admin.service import jobs
    from tests.factories.admin import job_run_left_behind, lease_runs_out

    day = date(2019, 1, 8)
    job_run_left_behind("loan_classification", day, owner="invocation-that-died", lease_seconds=jobs.LEASE_SECONDS,
                        checkpoint={"done": [], "phase": "overdue", "unit": 3, "cursor": None,
                                    "counters": {"pages": 3}})
    assert run_job(stack, "loan_classification", day)["status"] == "in_progress"  # Lambda's own retries stop here

    lease_runs_out("loan_classification", day)
    resumed = run_job(stack, "loan_classification", day)  # the next scheduled fire
    assert resumed["status"] == "completed"
    run = job_runs.get("loan_classification", day)
    assert run["attempts"] == 2 and run["status"] == "completed"
    assert resumed["counters"]["pages"] >= 3  # carried on from the dead invocation's checkpoint
