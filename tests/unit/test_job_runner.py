"""The job runner's checkpointing: pages resume where the last checkpoint stopped, phases are not redone,
``max_pages`` stops at a page boundary, and job events are validated. No sockets (the job-run store is
replaced by an in-memory one)."""
from __future__ import annotations

from datetime import date

import pytest

from chalicelib.admin.service import jobs


@pytest.fixture
def store(monkeypatch):
    saved: list[dict] = []
    monkeypatch.setattr(jobs.job_runs, "save_checkpoint",
                        lambda job, day, owner, checkpoint, lease_seconds: saved.append(
                            {k: (list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v)
                             for k, v in checkpoint.items()}))
    return saved


DATA = {"u1": [["a", "b"], ["c"]], "u2": [["d"], ["e", "f"], ["g"]]}


def _fetch(unit, cursor):
    pages = DATA[unit]
    i = int(cursor or 0)
    return [{"id": x} for x in pages[i]], (str(i + 1) if i + 1 < len(pages) else None)


def test_pages_visit_everything_once_and_checkpoint_each_page(store):
    jr = jobs.JobRun("j", date(2025, 1, 1), "me", {})
    seen = []
    jr.pages("p", ["u1", "u2"], _fetch, lambda u, items: seen.extend(i["id"] for i in items))
    assert seen == list("abcdefg")
    assert store[-1]["done"] == ["p"]
    # redoing a finished phase does nothing
    jr.pages("p", ["u1", "u2"], _fetch, lambda u, items: seen.append("again"))
    assert seen == list("abcdefg")


def test_a_run_resumes_from_the_saved_cursor(store):
    jr = jobs.JobRun("j", date(2025, 1, 1), "me", {}, max_pages=3)
    seen = []
    with pytest.raises(jobs.OutOfTime):
        jr.pages("p", ["u1", "u2"], _fetch, lambda u, items: seen.extend(i["id"] for i in items))
    checkpoint = store[-1]
    assert seen == list("abcd") and checkpoint["phase"] == "p" and checkpoint["unit"] == 1
    resumed = jobs.JobRun("j", date(2025, 1, 1), "me2", dict(checkpoint))
    rest = []
    resumed.pages("p", ["u1", "u2"], _fetch, lambda u, items: rest.extend(i["id"] for i in items))
    assert rest == list("efg")


def test_whole_units_restart_an_interrupted_unit(store):
    jr = jobs.JobRun("j", date(2025, 1, 1), "me", {}, max_pages=1)
    done_units, seen = [], []
    with pytest.raises(jobs.OutOfTime):
        jr.pages("p", ["u1", "u2"], _fetch, lambda u, items: seen.extend(i["id"] for i in items), whole_units=True,
                 on_unit_done=done_units.append)
    assert done_units == ["u1"] and store[-1]["unit"] == 1 and store[-1]["cursor"] is None
    resumed = jobs.JobRun("j", date(2025, 1, 1), "me2", dict(store[-1]))
    rest = []
    resumed.pages("p", ["u1", "u2"], _fetch, lambda u, items: rest.extend(i["id"] for i in items), whole_units=True,
                  on_unit_done=done_units.append)
    assert rest == list("defg") and done_units == ["u1", "u2"]


def test_counters_survive_in_the_checkpoint(store):
    jr = jobs.JobRun("j", date(2025, 1, 1), "me", {})
    jr.count("x", 2)
    jr.step("s", lambda: jr.count("x"))
    assert store[-1]["counters"] == {"x": 3}
    assert jobs.JobRun("j", date(2025, 1, 1), "me", dict(store[-1])).counters == {"x": 3}


@pytest.mark.parametrize("event", [{}, None, "x", {"job": "other"}, {"detail-type": "nope"}])
def test_non_job_events_are_refused(event):
    with pytest.raises(jobs.BadJobEvent):
        jobs.parse_event(event, "warning_scan")


def test_job_events_carry_the_business_date(monkeypatch):
    assert jobs.parse_event({"job": "warning_scan", "business_date": "2025-02-16"}, "warning_scan") == date(2025, 2, 16)
    monkeypatch.setenv("BUSINESS_DATE_OVERRIDE", "2025-03-01")
    assert jobs.parse_event({"job": "warning_scan"}, "warning_scan") == date(2025, 3, 1)
    assert jobs.parse_event({"source": "aws.events", "detail-type": "Scheduled Event"}, "x") == date(2025, 3, 1)
    with pytest.raises(jobs.BadJobEvent):
        jobs.parse_event({"job": "warning_scan", "business_date": "2025-02-30"}, "warning_scan")


def test_a_continuation_keeps_the_business_date(monkeypatch):
    """A run continued after midnight must finish its own date, not start the next one."""
    import json
    from types import SimpleNamespace

    from chalicelib.platform import aws

    sent = []
    monkeypatch.setattr(aws, "client", lambda name: SimpleNamespace(
        invoke=lambda **kw: sent.append((name, kw["FunctionName"], kw["InvocationType"], json.loads(kw["Payload"])))))
    context = SimpleNamespace(function_name="stack-loan-classification")
    assert jobs._continue({"job": "loan_classification"}, context, date(2026, 11, 29)) is True
    assert sent == [("lambda", "stack-loan-classification", "Event",
                     {"job": "loan_classification", "continuation": 1, "business_date": "2026-11-29"})]
