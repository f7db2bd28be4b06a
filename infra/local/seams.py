"""The two places where the local stack reaches into moto's internals. Kept here, small, and guarded
by ``tests/infra/test_seams.py``, which fails loudly if a moto upgrade renames what they patch.

1. ``LambdaFunction._invoke_lambda(self, event) -> (payload_json, errored, logs)``: moto runs Lambda
   code only in Docker; we replace it to import the function's real handler (``Handler`` in the
   template) and call it in this process. One seam serves direct invokes, Step Functions tasks and
   queue triggers. An exception becomes a Lambda error payload ``{"errorType", "errorMessage"}``,
   which is what Step Functions' Retry/Catch match on.
2. ``DynamoHandler.call_action``: moto checks a condition and writes without a lock, so concurrent
   conditional writes are not atomic. Real DynamoDB is atomic per item and per transaction; we
   serialise every DynamoDB call with one lock so the local stack shows the same behaviour.
"""
from __future__ import annotations

import importlib
import json
import threading
import time
import traceback
import uuid
from types import SimpleNamespace
from typing import Any

from moto.awslambda.models import LambdaFunction
from moto.dynamodb.responses import DynamoHandler

_DYNAMO_LOCK = threading.RLock()
_installed = False


def _context(fn: LambdaFunction) -> SimpleNamespace:
    deadline = time.monotonic() + float(getattr(fn, "timeout", 30) or 30)
    return SimpleNamespace(function_name=fn.function_name, function_version="$LATEST",
                           invoked_function_arn=fn.function_arn, memory_limit_in_mb=fn.memory_size,
                           aws_request_id=str(uuid.uuid4()), log_group_name=f"/aws/lambda/{fn.function_name}",
                           log_stream_name="local",
                           get_remaining_time_in_millis=lambda: max(0, int((deadline - time.monotonic()) * 1000)))


def resolve_handler(handler: str) -> Any:
    """``functions/tasks/rating.handler`` → the callable ``functions.tasks.rating.handler``."""
    module_path, _, attr = handler.rpartition(".")
    module = importlib.import_module(module_path.replace("/", "."))
    return getattr(module, attr)


def _invoke_in_process(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
    try:
        payload = json.loads(event) if isinstance(event, (str, bytes, bytearray)) and event else (event or {})
        result = resolve_handler(self.handler)(payload, _context(self))
        return json.dumps(result, default=str), False, ""
    except Exception as exc:  # reported as a Lambda function error, like the real service
        body = {"errorType": type(exc).__name__, "errorMessage": str(exc),
                "stackTrace": traceback.format_exception(exc)[-3:]}
        return json.dumps(body), True, traceback.format_exc()


_original_call_action = DynamoHandler.call_action


def _serialised_call_action(self: DynamoHandler) -> Any:
    with _DYNAMO_LOCK:
        return _original_call_action(self)


def install() -> None:
    """Install both seams (idempotent)."""
    global _installed
    if _installed:
        return
    if not hasattr(LambdaFunction, "_invoke_lambda"):
        raise RuntimeError("moto renamed LambdaFunction._invoke_lambda: update infra/local/seams.py")
    LambdaFunction._invoke_lambda = _invoke_in_process  # type: ignore[method-assign]
    DynamoHandler.call_action = _serialised_call_action  # type: ignore[method-assign]
    _installed = True
