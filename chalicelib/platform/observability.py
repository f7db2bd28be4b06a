"""Powertools Logger and Metrics, created lazily so that cold start stays light.

The Tracer is created only when ``POWERTOOLS_TRACE_ENABLED`` is true: merely constructing it imports
aws_xray_sdk (+100–185 ms of cold start, measured; see docs/decisions/0003-cold-start.md).
Personal data never reaches these loggers: log ids, never names, ID numbers or phone numbers.
"""
from __future__ import annotations

import os
import threading
from functools import cache
from typing import Any

_LOCK = threading.Lock()

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "village-credit")


def logger() -> Any:
    """The process-wide Powertools ``Logger`` (JSON lines, correlation id when set).

    Built once under a lock: concurrent first requests (the local server is threaded) must not build
    two loggers on the same stdlib logger."""
    with _LOCK:
        return _logger()


@cache
def _logger() -> Any:
    from aws_lambda_powertools import Logger

    return Logger(service=SERVICE)


def metrics() -> Any:
    """The process-wide Powertools ``Metrics`` (CloudWatch EMF) in namespace ``VillageCredit``."""
    with _LOCK:
        return _metrics()


@cache
def _metrics() -> Any:
    from aws_lambda_powertools import Metrics

    return Metrics(namespace="VillageCredit", service=SERVICE)


def tracer() -> Any | None:
    """The Powertools ``Tracer`` when tracing is enabled, else ``None`` (keeps X-Ray off the cold path)."""
    if os.environ.get("POWERTOOLS_TRACE_ENABLED", "false").lower() != "true":
        return None
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE)


def emit_metric(name: str, value: float, unit: str = "Count") -> None:
    """Publish one CloudWatch metric now (EMF line on stdout, namespace ``VillageCredit``, dimension ``service``),
    unless ``POWERTOOLS_METRICS_DISABLED`` is true (the local stack)."""
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "false").lower() == "true":
        return
    from aws_lambda_powertools import single_metric
    from aws_lambda_powertools.metrics import MetricUnit

    with single_metric(name=name, unit=MetricUnit[unit], value=value, namespace="VillageCredit",
                       default_dimensions={"service": SERVICE}):
        pass
