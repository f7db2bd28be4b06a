"""The AWS SDK clients of the product: every one is made here, once per process, and nowhere else.

A boto3 client costs 30–50 ms to create (it loads the service model); made once and cached, a warm invocation
reuses it. Clients honour ``AWS_ENDPOINT_URL`` (the local stack's moto server) and the region of the function's
environment. Creation is serialised by a lock: botocore's default session is not safe to create clients from
in several threads at once (the local server is threaded).

``dynamodb()`` is also the client of the pynamodb models (``chalicelib.platform.dynamo.models`` hands it to
pynamodb's connection), so a function has one DynamoDB client whichever API it uses.
"""
from __future__ import annotations

import threading
from typing import Any

_LOCK = threading.Lock()
_CLIENTS: dict[str, Any] = {}


def client(service: str) -> Any:
    """The process-wide boto3 client of ``service`` (``"dynamodb"``, ``"s3"``, ...), created on first use."""
    found = _CLIENTS.get(service)
    if found is not None:
        return found
    with _LOCK:
        if service not in _CLIENTS:
            import boto3

            _CLIENTS[service] = _make(boto3, service)
        return _CLIENTS[service]


def _make(boto3: Any, service: str) -> Any:
    if service == "lambda:async":
        # An Event invocation returns at once on AWS; the local stack runs the handler before answering, hence
        # the long read timeout, and no retries (what it starts is claimed once anyway).
        from botocore.config import Config

        return boto3.client("lambda", config=Config(read_timeout=900, retries={"total_max_attempts": 1}))
    return boto3.client(service)


def dynamodb() -> Any:
    """DynamoDB (every table; ``chalicelib.platform.dynamo``)."""
    return client("dynamodb")


def s3() -> Any:
    """S3 (the documents bucket: rosters, notices, contracts, photos, reports)."""
    return client("s3")


def stepfunctions() -> Any:
    """Step Functions (campaign, approval and disbursement executions; task tokens)."""
    return client("stepfunctions")


def sqs() -> Any:
    """SQS (the reconciliation queue)."""
    return client("sqs")


def kms() -> Any:
    """KMS (data keys of personal data, the sandbox e-signature key)."""
    return client("kms")


def secretsmanager() -> Any:
    """Secrets Manager (the keyed-hash secret, the cursor secret)."""
    return client("secretsmanager")


def lambda_async() -> Any:
    """Lambda, for ``InvocationType="Event"`` invocations (roster imports, job continuations): one attempt."""
    return client("lambda:async")


def reset() -> None:
    """Forget every client (the local stack and tests, when the endpoint or credentials change in a process)."""
    with _LOCK:
        _CLIENTS.clear()
