"""Benchmark: one whole-village credit campaign of 300 households on the local stack.

A fresh local stack (moto server built from template.yaml, seeded) in this process; 300 synthetic
households (``infra.synthetic``) written as submitted files of village 220122102202 (setup, not timed).
Timed: start (``services.campaign.start_campaign``) → state machine: load, Map over batches of 25
(rate + propose lines), village evaluation, notice CSV + PDF → awaiting confirmation → confirm (as a
second person) → activation → completed. Completion is observed with DescribeExecution, so polling adds
no DynamoDB calls. DynamoDB requests are counted at the moto server (``infra.local.seams.dynamodb_requests``:
every request of every client, by operation, the same way whatever library makes it). Figures are printed,
not asserted; moto is far slower per call than DynamoDB, so wall time here is an upper bound of the
workflow's own cost, and requests per household is the portable figure.

``run() -> dict`` (``python -m bench.bench_campaign`` prints it).
"""
from __future__ import annotations

import json
import time
from typing import Any

from bench import HANG_GUARD_SECONDS

N_HOUSEHOLDS = 300
VILLAGE = "220122102202"
#: ``python -m bench --smoke``: a campaign of five households (still one Map batch, notice, confirmation)
SMOKE = {"n": 5}


def _wait(sfn, arn: str, done: set[str], campaign_status, deadline: float, what: str) -> None:
    while True:
        if campaign_status() in done:
            return
        if sfn.describe_execution(executionArn=arn)["status"] in ("FAILED", "TIMED_OUT", "ABORTED"):
            raise RuntimeError(f"the campaign execution ended badly while waiting for {what}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.1)


def run(n: int = N_HOUSEHOLDS) -> dict[str, Any]:
    import boto3

    from infra.local import seams
    from infra.local.server import free_port, start_stack

    server, _stack = start_stack(free_port(), extra_env={"STAGE": "test"})
    try:
        from chalicelib.admin.data import orgs
        from chalicelib.platform.access import Principal
        from chalicelib.rating.data import campaigns
        from chalicelib.rating.service import campaign as svc
        from infra.synthetic import store_households, village_households_in

        village = orgs.village_assignment(VILLAGE)
        store_households([(f"HH-BENCH-{k:04d}", h) for k, h in enumerate(village_households_in(VILLAGE, n, seed=300))],
                         status="submitted")
        manager = Principal(user_id="bench-am", username="bench.am", role="account_manager",
                            org_id=village["org_id"], org_path=village["org_path"])
        institution = Principal(user_id="bench-admin", username="bench.admin", role="institution_admin",
                                org_id="JL-220122", org_path="/JL/JL-220122/")
        sfn = boto3.client("stepfunctions")
        with seams.dynamodb_requests() as counts:
            t0 = time.perf_counter()
            c, _ = svc.start_campaign(manager, VILLAGE)
            cid = c["campaign_id"]

            def status() -> str:
                return campaigns.get_unscoped(cid)["status"]

            deadline = time.monotonic() + HANG_GUARD_SECONDS
            _wait(sfn, c["execution_arn"], {"awaiting_confirmation", "failed"}, status, deadline, "the notice")
            t_notice = time.perf_counter() - t0
            requests_to_notice = sum(counts.values())
            svc.confirm(institution, cid, "bench")
            _wait(sfn, c["execution_arn"], {"completed", "failed"}, status, deadline, "activation")
            seconds = time.perf_counter() - t0
        final = campaigns.get_unscoped(cid)
        if final["status"] != "completed":
            raise RuntimeError(f"the campaign ended {final['status']}: {final.get('failure')}")
        total = sum(counts.values())
        return {"households": n, "status": final["status"], "rated": int(final.get("rated", 0)),
                "lines_activated": int(final.get("activated", 0)),
                "seconds_total": round(seconds, 2), "seconds_to_notice": round(t_notice, 2),
                "households_per_second": round(n / seconds, 1),
                "dynamodb_requests": total, "dynamodb_requests_per_household": round(total / n, 2),
                "dynamodb_requests_to_notice_per_household": round(requests_to_notice / n, 2),
                "by_operation": dict(counts.most_common())}
    finally:
        server.stop()


def report(result: dict[str, Any]) -> str:
    return (f"campaign of {result['households']} households: {result['status']} in {result['seconds_total']} s "
            f"({result['seconds_to_notice']} s to the posted notice); DynamoDB requests "
            f"{result['dynamodb_requests']} = {result['dynamodb_requests_per_household']} per household "
            f"({result['by_operation']})")


if __name__ == "__main__":
    r = run()
    print(report(r))
    print(json.dumps(r, ensure_ascii=False, indent=1))
