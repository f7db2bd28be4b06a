"""Cold start of every function in template.yaml versus the boto3 baseline.

For each function, a fresh Python process imports the handler module and makes the first handler
call with a minimal event (API functions: ``GET /health``-shaped REST v1 proxy event for their first
route; task and job functions: ``{}``, which they must reject quickly without AWS calls). In the
same run, fresh processes measure ``import boto3; boto3.client("dynamodb")``. Median of N runs each;
the ratio function/baseline is the figure (target ≤ 1.5).
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: ``python -m bench --smoke``: one fresh process per function (every handler of the template still starts)
SMOKE = {"runs": 1}

FAKE_ENV = {
    "STAGE": "dev", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x",
    "AWS_SECRET_ACCESS_KEY": "x", "CORE_TABLE": "core", "AUDIT_TABLE": "audit", "PARAMETERS_TABLE": "parameters",
    "IDEMPOTENCY_TABLE": "idem", "DOCUMENTS_BUCKET": "docs", "RECONCILIATION_QUEUE_URL": "https://q/x",
    "PII_KEY_ID": "k", "PII_HASH_SECRET_ID": "s", "CURSOR_SECRET_ID": "c", "USER_POOL_ID": "us-east-1_x", "USER_POOL_CLIENT_ID": "c",
    "JWT_ISSUER": "https://issuer/x", "JWKS_URL": "https://issuer/x/jwks",
    "APPROVAL_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:1:stateMachine:a",
    "DISBURSEMENT_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:1:stateMachine:d",
    "CAMPAIGN_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:1:stateMachine:c",
    "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING",
}

_PROBE = r"""
import json, sys, time
t0 = time.perf_counter()
handler_path, event = sys.argv[1], json.loads(sys.argv[2])
if handler_path == "BASELINE":
    import boto3
    boto3.client("dynamodb")
else:
    import importlib
    from types import SimpleNamespace
    mod, _, attr = handler_path.rpartition(".")
    fn = getattr(importlib.import_module(mod.replace("/", ".")), attr)
    ctx = SimpleNamespace(function_name="bench", aws_request_id="r", memory_limit_in_mb=512,
                          invoked_function_arn="arn:aws:lambda:us-east-1:1:function:bench",
                          get_remaining_time_in_millis=lambda: 29000)
    try:
        fn(event, ctx)
    except Exception:
        pass
print(json.dumps({"ms": (time.perf_counter() - t0) * 1000}))
"""


def _api_event(path: str) -> dict:
    concrete = path.replace("{", "").replace("}", "")
    return {"resource": path, "path": concrete, "httpMethod": "GET", "headers": {}, "multiValueHeaders": {},
            "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
            "stageVariables": None, "body": None, "isBase64Encoded": False,
            "requestContext": {"resourcePath": path, "httpMethod": "GET", "requestId": "bench", "stage": "dev"}}


def targets() -> list[tuple[str, str, dict]]:
    """(logical id, handler, minimal event) of every function in the template."""
    from infra.template import load, resources_of

    out = []
    for lid, res in resources_of(load(), "AWS::Serverless::Function").items():
        props = res["Properties"]
        api = [e["Properties"] for e in (props.get("Events") or {}).values() if e["Type"] == "Api"]
        event = _api_event(sorted(api, key=lambda e: e["Path"])[0]["Path"]) if api else {}
        if api and any(e["Path"] == "/health" for e in api):
            event = _api_event("/health")
        out.append((lid, props["Handler"], event))
    return out


def _measure(handler: str, event: dict, runs: int) -> float:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **FAKE_ENV,
           "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    samples = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", _PROBE, handler, json.dumps(event)], capture_output=True,
                             text=True, env=env, cwd=ROOT, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"{handler}: {out.stderr[-2000:]}")
        samples.append(json.loads(out.stdout.strip().splitlines()[-1])["ms"])
    return statistics.median(samples)


def run(runs: int = 7) -> dict:
    """Median cold start (ms) per function, the baseline, and each ratio."""
    baseline = _measure("BASELINE", {}, runs)
    rows = []
    for lid, handler, event in targets():
        ms = _measure(handler, event, runs)
        rows.append({"function": lid, "handler": handler, "cold_start_ms": round(ms, 1),
                     "ratio": round(ms / baseline, 2)})
    return {"baseline_ms": round(baseline, 1), "runs": runs, "functions": rows,
            "all_within_1_5x": all(r["ratio"] <= 1.5 for r in rows)}


def report(result: dict) -> str:
    lines = [f"cold start (median of {result['runs']} fresh processes); baseline "
             f"`import boto3; boto3.client('dynamodb')` = {result['baseline_ms']} ms"]
    for r in result["functions"]:
        flag = "" if r["ratio"] <= 1.5 else "   <-- over 1.5x"
        lines.append(f"  {r['function']:<34} {r['cold_start_ms']:>8.1f} ms  {r['ratio']:>5.2f}x{flag}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run()))
