"""The standing fuzz layer: property-based requests generated from docs/openapi.json (schemathesis) against the
local stack, every operation, as staff and as a farmer.

Each generated request (valid and invalid inputs alike: generation mode ``all``) must get

* no 5xx (``not_a_server_error``),
* a status the document lists for that operation (``status_code_conformance``),
* the documented media type (``content_type_conformance``),
* a body valid against the documented schema, the ``Error`` body for every error (``response_schema_conformance``),
* for a method the path does not have (the coverage phase sends them): 405 with an ``Allow`` header
  (``unsupported_method``),
* for a request the document forbids (negative generation: a wrong type, a value out of range, off a pattern, an
  unknown field): a refusal, never a 2xx (``negative_data_rejection``). The document must therefore be no
  stricter than the request models; ``tests/unit/test_inputs.py`` checks the money patterns against the parser.

Bounded and repeatable: :data:`MAX_EXAMPLES` examples per operation and phase, a fixed seed, Hypothesis
derandomised, no example database, no shrinking (a failure is reported as found, with a curl line to replay
it). The whole layer takes a couple of minutes on two cores (``tests/conftest.py`` runs it after every other
test of its worker: fuzzed writes cannot disturb the other tests' data). A finding is fixed at its root (the
request models, the generator of the document), never by loosening a check here.
"""
from __future__ import annotations

from collections.abc import Callable

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from infra.template import ROOT
from tests.conftest import HANG_GUARD_SECONDS

DOCUMENT = ROOT / "docs" / "openapi.json"
SEED = 20261207
#: Examples per operation for each generation phase (schema examples, boundary coverage, random fuzzing).
MAX_EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          unsupported_method, negative_data_rejection]

#: Hypothesis settings of every fuzz test: bounded, repeatable, no files written.
SETTINGS = settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck), print_blob=False)


def config(max_examples: int = MAX_EXAMPLES) -> schemathesis.Config:
    """The layer's generation settings."""
    return schemathesis.Config.from_dict({
        "seed": SEED,
        "generation": {"mode": "all", "max-examples": max_examples, "no-shrink": True,
                       "with-security-parameters": False},
        "phases": {"stateful": {"enabled": False}},
    })


def load_schema(max_examples: int = MAX_EXAMPLES):
    """docs/openapi.json as a schemathesis schema with the layer's generation settings."""
    return schemathesis.openapi.from_path(DOCUMENT, config=config(max_examples))


def call_as(case, api_url: str, token: str) -> None:
    """Send ``case`` with ``token`` and run :data:`CHECKS` on the answer (raises on a finding)."""
    case.call_and_validate(base_url=api_url, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS,
                           timeout=HANG_GUARD_SECONDS)


def run_as(users: tuple[str, ...], case, api_url: str, token: Callable[[str], str]) -> None:
    for user in users:
        call_as(case, api_url, token(user))
