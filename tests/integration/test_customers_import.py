"""Roster import on the local stack: presigned upload, the asynchronous import function (run in-process
through moto's Lambda seam), job status with progress and the per-row report, idempotent re-import,
changed rows, XLSX, and the in-process entry point used by the console."""
from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
import requests

from infra.roster_synth import BAD_EXAMPLE_EXPECTED, bad_example, synth_households, to_csv, to_xlsx
from infra.template import ROOT
from tests.conftest import HANG_GUARD_SECONDS, wait_for
from tests.integration.customers_support import SHOWCASE

pytestmark = pytest.mark.stack

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def run_import(client, data: bytes, *, filename: str = "roster.csv", content_type: str = CSV,
               user: str = "am.nongan", village: str = SHOWCASE) -> dict:
    api = client.as_user(user)
    r = api.post("/imports", json={"village_code": village, "filename": filename, "content_type": content_type,
                                   "size": len(data)})
    assert r.status_code == 201, r.text
    job = r.json()
    assert job["status"] == "awaiting_upload"
    up = job["upload"]
    put = requests.put(up["url"], data=data, headers=up["headers"], timeout=HANG_GUARD_SECONDS)
    assert put.status_code == 200, put.text
    r = api.post(f"/imports/{job['import_id']}/start")
    assert r.status_code == 202, r.text

    def finished():
        s = api.get(f"/imports/{job['import_id']}").json()
        return s if s["status"] in ("completed", "failed") else None

    return wait_for(finished, what="the import to finish")


def _households_of(stack, village: str) -> dict[str, dict]:
    from chalicelib.customers.data import households

    return {h["household_id"]: h for h in households.list_by_village(village)}


def test_the_shipped_example_imports_completely(client, stack):
    data = (ROOT / "docs" / "examples" / "roster_220122102202.csv").read_bytes()
    job = run_import(client, data, filename="roster_220122102202.csv")
    assert job["status"] == "completed", job
    c = job["counts"]
    # 30 households; a re-run of the suite on the same stack finds them unchanged
    assert c["created"] + c["unchanged"] == 30 and c["invalid"] == 0 and c["conflict"] == 0, job
    assert job["progress"]["households_total"] == 30 and job["progress"]["households_done"] == 30
    assert job["errors"] == [] and job["errors_total"] == 0
    report = requests.get(job["report_url"], timeout=HANG_GUARD_SECONDS).json()
    assert len(report["households"]) == 30
    assert all(h["outcome"] in ("created", "unchanged") for h in report["households"])


def test_good_and_bad_rows_give_the_right_report_and_only_good_households_are_written(client, stack):
    data = bad_example()
    assert data == (ROOT / "docs" / "examples" / "roster_220122102202_bad.csv").read_bytes(), \
        "docs/examples/roster_220122102202_bad.csv is stale: run python -m infra.roster_synth"
    before = set(_households_of(stack, SHOWCASE))
    job = run_import(client, data, filename="bad.csv")
    assert job["status"] == "completed", job
    got = [(e["row"], e["field"], e["code"]) for e in job["errors"]]
    assert got == list(BAD_EXAMPLE_EXPECTED)
    assert all(e["message"] for e in job["errors"])
    # 11 households of 2 people except 0004 and 0009 (1 each): 20 rows; 0001, 0006, 0011 written
    assert job["counts"] == {"created": 3, "updated": 0, "unchanged": 0, "invalid": 8, "conflict": 0,
                             "members_created": 6, "members_updated": 0, "members_unchanged": 0,
                             "members_invalid": 14, "members_conflict": 0,
                             "rows_read": 20, "rows_unassigned": 0, "rows_with_errors": len(BAD_EXAMPLE_EXPECTED)}
    after = _households_of(stack, SHOWCASE)
    new = {hid: h for hid, h in after.items() if hid not in before}
    assert len(new) == 3
    assert all(h["data_source"] == "roster_import" and h["status"] == "draft" for h in new.values())
    assert sorted(len(h["members"]) for h in new.values()) == [2, 2, 2]
    # no index item of a refused household's people was left behind
    report = requests.get(job["report_url"], timeout=HANG_GUARD_SECONDS).json()
    refused_rows = [h["rows"] for h in report["households"] if h["outcome"] == "invalid"]
    assert len(refused_rows) == 8
    from chalicelib.customers.data import households
    from chalicelib.customers.domain.roster import parse
    from chalicelib.platform import pii

    parsed = parse(data, "bad.csv", village_code=SHOWCASE)
    refused = [hh for hh in parsed.households if hh.rows in refused_rows]
    for hh in refused:
        for m in hh.payload["members"]:
            rid = m.get("resident_id")
            if isinstance(rid, str) and len(rid) == 18 and hh.rows != [13, 14]:
                owner = households.rid_owner(pii.keyed_hash(rid.upper(), purpose="resident_id"))
                assert owner is None, f"rows {hh.rows}: a refused household's person was indexed"


def test_reimport_is_idempotent_and_a_changed_row_makes_a_new_version(client, stack):
    hhs = synth_households(12, seed=4242)
    data = to_csv(hhs)
    first = run_import(client, data)
    assert first["counts"]["created"] == 12, first
    village = _households_of(stack, SHOWCASE)
    audit_count = _audit_count(stack)
    again = run_import(client, data)
    people = sum(len(h.members) for h in hhs)
    assert again["counts"] == {"created": 0, "updated": 0, "unchanged": 12, "invalid": 0, "conflict": 0,
                               "members_created": 0, "members_updated": 0, "members_unchanged": people,
                               "members_invalid": 0, "members_conflict": 0,
                               "rows_read": people, "rows_unassigned": 0, "rows_with_errors": 0}
    assert _households_of(stack, SHOWCASE) == village
    assert _audit_count(stack) == audit_count
    # change one household's deposits: only that household gets a new version
    hhs[5].values["存款(元)"] = 123456
    changed = run_import(client, to_csv(hhs))
    assert {k: changed["counts"][k] for k in ("created", "updated", "unchanged", "invalid", "conflict")} == {
        "created": 0, "updated": 1, "unchanged": 11, "invalid": 0, "conflict": 0}
    assert changed["counts"]["members_updated"] == len(hhs[5].members)
    now = _households_of(stack, SHOWCASE)
    bumped = [hid for hid in village if now[hid]["version"] != village[hid]["version"]]
    assert len(bumped) == 1
    assert now[bumped[0]]["version"] == village[bumped[0]]["version"] + 1
    assert now[bumped[0]]["assets"]["deposits"] == 123456


def _audit_count(stack) -> int:
    ddb = boto3.client("dynamodb")
    return ddb.scan(TableName=stack.env["AUDIT_TABLE"], Select="COUNT")["Count"]


def test_xlsx_roster_and_person_already_in_another_household(client, stack):
    hhs = synth_households(5, seed=99)
    job = run_import(client, to_xlsx(hhs), filename="花名册.xlsx", content_type=XLSX)
    assert job["status"] == "completed" and job["counts"]["created"] == 5, job
    # the same people listed under other household numbers in another village's roster: refused
    moved = synth_households(5, seed=99)
    job = run_import(client, to_csv(moved), village="220122102203")
    assert job["counts"]["conflict"] == 5 and job["counts"]["created"] == 0, job
    assert {e["code"] for e in job["errors"]} == {"PERSON_IN_OTHER_HOUSEHOLD"}


def test_unreadable_files_fail_the_job_with_a_code(client):
    job = run_import(client, b"\x00\x01 not a roster", filename="x.csv")
    assert job["status"] == "failed" and job["failure"]["code"] in ("ROSTER_FORMAT", "ROSTER_EMPTY")
    job = run_import(client, "姓名,电话\n张三,1\n".encode(), filename="x.csv")
    assert job["status"] == "failed" and job["failure"]["code"] in ("ROSTER_FORMAT", "ROSTER_MISSING_COLUMN")


def test_starting_twice_or_without_a_file_is_refused(client):
    api = client.as_user("am.nongan")
    r = api.post("/imports", json={"village_code": SHOWCASE, "filename": "r.csv", "content_type": CSV, "size": 10})
    job = r.json()
    r = api.post(f"/imports/{job['import_id']}/start")
    assert r.status_code == 409 and r.json()["error"]["code"] == "IMPORT_FILE_MISSING"
    done = run_import(client, to_csv(synth_households(1, seed=5)))
    r = api.post(f"/imports/{done['import_id']}/start")
    assert r.status_code == 409 and r.json()["error"]["code"] == "IMPORT_STATUS"
    r = api.post("/imports", json={"village_code": SHOWCASE, "filename": "r.pdf", "content_type": CSV, "size": 10})
    assert r.status_code == 422


def test_direct_entry_point_for_the_console(stack):
    from chalicelib.customers.service.roster_import import import_roster
    from chalicelib.platform.access import SYSTEM

    data = to_csv(synth_households(3, seed=31337))
    report = import_roster(SYSTEM, "220122102205", data, "cli.csv")
    assert report["counts"]["created"] == 3 and report["households_total"] == 3
    assert json.dumps(report, ensure_ascii=False, default=str)  # serialisable for the CLI
    again = import_roster(SYSTEM, "220122102205", data, "cli.csv")
    assert again["counts"]["unchanged"] == 3


def test_example_files_are_documented():
    doc = (ROOT / "docs" / "roster_template.md").read_text(encoding="utf-8")
    for name in ("roster_220122102202.csv", "roster_220122102202_bad.csv", "与户主关系", "身份证号", "户编号"):
        assert name in doc
    assert Path(ROOT / "docs" / "examples" / "roster_220122102202.csv").exists()


def test_a_household_whose_person_was_taken_meanwhile_is_dropped_and_the_rest_written(client, stack):
    """The batched write path: a transaction cancelled by one household's index condition writes the
    others and reports that one (as when an account manager files the same person during an import)."""
    from chalicelib.admin.data import orgs
    from chalicelib.customers.data import household_items as items
    from chalicelib.customers.data import households as repo
    from chalicelib.customers.data.household_batches import commit_plans
    from chalicelib.customers.domain import roster
    from chalicelib.customers.domain.households import HouseholdIn, normalise
    from chalicelib.platform.access import SYSTEM
    from chalicelib.platform.clock import business_date
    from tests.integration.customers_support import household

    parsed = roster.parse(to_csv(synth_households(6, seed=8080)), "r.csv", village_code=SHOWCASE)
    village = orgs.village_assignment(SHOWCASE)
    plans = []
    for hh in parsed.households:
        norm = normalise(HouseholdIn.model_validate(hh.payload), today=business_date())
        hid = str(__import__("uuid").uuid4())
        item = items.build_item(hid, norm, items.build_members(norm, None), village=village, status="draft",
                                data_source="roster_import", collected_by="system")
        plans.append(items.plan_change(hid, item, None))
    # meanwhile the spouse of the fourth household is filed door to door
    taken = parsed.households[3].payload["members"][1]["resident_id"]
    body = household(spouse_id=taken)
    assert client.as_user("am.nongan").post("/households", json=body).status_code == 201
    written, failed = commit_plans(plans, actor_id=SYSTEM.user_id)
    assert set(failed) == {plans[3].household_id}
    assert failed[plans[3].household_id].code == "PERSON_IN_OTHER_HOUSEHOLD"
    assert failed[plans[3].household_id].fields[0].field == "members[1].resident_id"
    assert set(written) == {p.household_id for i, p in enumerate(plans) if i != 3}
    assert repo.get_unscoped(plans[3].household_id) is None
    head_of_4 = plans[3].item["members"][0]["resident_id_hash"]
    assert repo.rid_owner(head_of_4) is None  # nothing of the dropped household was left behind
    assert all(repo.get_unscoped(p.household_id)["version"] == 1 for i, p in enumerate(plans) if i != 3)
