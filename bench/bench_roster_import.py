"""Benchmark: importing a 2,000-household village roster on the local stack.

Starts its own local stack (moto server built from template.yaml, seeded), writes a synthetic roster
(``infra.roster_synth``, ~2,000 households, ~6,800 people) to S3 as a client would, and runs the
real import function through Lambda ``InvocationType=Event`` (moto's seam runs the handler
in-process), then imports the same file again (idempotent: nothing written) and a copy with 1 % of
the households changed. Figures are printed and returned, not asserted.

    .venv/bin/python -m bench.bench_roster_import          # or run() from the bench runner
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any

from bench import HANG_GUARD_SECONDS

#: ``python -m bench --smoke``: a roster of twenty households (the 1 % change touches one)
SMOKE = {"households": 20}


def run(households: int = 2000, *, seed: int = 2000) -> dict[str, Any]:
    """Import ``households`` synthetic households into the showcase village; return the figures."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from chalicelib.platform import pii

    pii.reset_caches()
    from infra.local.server import free_port, start_stack

    t0 = time.perf_counter()
    server, stack = start_stack(free_port(), extra_env={"STAGE": "test"})
    stack_s = time.perf_counter() - t0
    try:
        from infra.roster_synth import synth_households, to_csv
        from infra.seed import SHOWCASE_VILLAGE

        synth = synth_households(households, seed=seed)
        data = to_csv(synth)
        first = _import(stack, SHOWCASE_VILLAGE, data)
        again = _import(stack, SHOWCASE_VILLAGE, data)
        for hh in synth[:: 100]:
            hh.values["存款(元)"] = int(hh.values["存款(元)"]) + 1000
        changed = _import(stack, SHOWCASE_VILLAGE, to_csv(synth))
    finally:
        server.stop()
    people = sum(len(h.members) for h in synth)
    return {
        "households": households, "people": people, "file_bytes": len(data), "stack_start_s": round(stack_s, 2),
        "import_s": first["seconds"], "import_households_per_s": round(households / first["seconds"], 1),
        "import_counts": first["counts"],
        "reimport_unchanged_s": again["seconds"], "reimport_counts": again["counts"],
        "reimport_1pct_changed_s": changed["seconds"], "reimport_changed_counts": changed["counts"],
    }


def _import(stack, village: str, data: bytes) -> dict[str, Any]:
    """One import through the real path: job → S3 object → async Lambda invoke → poll the job."""
    import boto3
    from botocore.config import Config

    from chalicelib.admin.data import orgs
    from chalicelib.customers.data import imports
    from chalicelib.platform.access import Principal
    from infra.seed import outlet_id

    org = orgs.get_org(outlet_id(village[:9]))
    am = Principal(user_id="bench-am", username="bench.am", role="account_manager", org_id=org["org_id"],
                   org_path=org["org_path"])
    job = imports.create(am, orgs.get_village(am, village), filename="bench.csv", content_type="text/csv")
    boto3.client("s3").put_object(Bucket=stack.env["DOCUMENTS_BUCKET"], Key=job["s3_key"], Body=data)
    imports.mark_queued(job["import_id"], size=len(data))
    started = time.perf_counter()
    lam = boto3.client("lambda", config=Config(read_timeout=3600, retries={"total_max_attempts": 1}))
    lam.invoke(FunctionName=stack.env["ROSTER_IMPORT_FUNCTION_NAME"], InvocationType="Event",
               Payload=json.dumps({"import_id": job["import_id"]}).encode())
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while True:
        state = imports.get_unscoped(job["import_id"])
        if state["status"] in ("completed", "failed"):
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"the import still runs after {HANG_GUARD_SECONDS} s: is it stuck?")
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    if state["status"] != "completed":
        raise RuntimeError(f"import failed: {state.get('failure')}")
    return {"seconds": round(seconds, 2), "counts": state["counts"]}


if __name__ == "__main__":
    print(json.dumps(run(), indent=1, ensure_ascii=False))
