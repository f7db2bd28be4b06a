"""The fuzz layer's checks really fail: the same call and checks as tests/fuzz/support.py, on a copy of
docs/openapi.json that is wrong in one known way."""
from __future__ import annotations

import json

import pytest
import schemathesis
from schemathesis.core.failures import FailureGroup

from tests.fuzz import support

pytestmark = [pytest.mark.stack]


def _operation(mutate, path: str, method: str):
    doc = json.loads(support.DOCUMENT.read_text(encoding="utf-8"))
    mutate(doc)
    return schemathesis.openapi.from_dict(doc)[path][method]


def test_an_undocumented_status_is_a_finding(api_url, token):
    def drop_404(doc):
        del doc["paths"]["/campaigns"]["post"]["responses"]["404"]

    case = _operation(drop_404, "/campaigns", "POST").Case(body={"village_code": "000000000000"})
    with pytest.raises(FailureGroup) as found:
        support.call_as(case, api_url, token("am.nongan"))
    assert [type(e).__name__ for e in found.value.exceptions] == ["UndefinedStatusCode"]
    documented = support.load_schema()["/campaigns"]["POST"].Case(body={"village_code": "000000000000"})
    support.call_as(documented, api_url, token("am.nongan"))  # the same 404, documented: no finding


def test_a_body_off_the_schema_is_a_finding(api_url, token):
    def require_more(doc):
        doc["components"]["schemas"]["ErrorDetail"]["required"].append("hint")

    case = _operation(require_more, "/households/{household_id}", "GET").Case(
        path_parameters={"household_id": "no-such-household"})
    with pytest.raises(FailureGroup) as found:
        support.call_as(case, api_url, token("am.nongan"))
    assert [type(e).__name__ for e in found.value.exceptions] == ["JsonSchemaError"]


def test_a_schema_violation_the_api_accepts_is_a_finding(api_url, token):
    """negative_data_rejection: in a document stricter than the API (``limit`` at most 1 where the API takes up to
    200), ``limit=2`` is schema-violating data the API accepts (200): a finding. Against the true document,
    ``limit=201`` is refused: none. (The values are set on generated negative cases: which violation the
    generator picks is its choice.)"""
    from hypothesis import given
    from schemathesis import GenerationMode
    from schemathesis.core.parameters import ParameterLocation

    def negative_query_case(operation):
        cases = []

        @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        @support.SETTINGS
        def collect(case):
            cases.append(case)

        collect()
        return next(c for c in cases if c.meta.is_negative_at(ParameterLocation.QUERY))

    stricter = json.loads(support.DOCUMENT.read_text(encoding="utf-8"))
    operation = stricter["paths"]["/postloan/warnings"]["get"]
    operation["parameters"] = [p for p in operation["parameters"] if p["name"] == "limit"]
    operation["parameters"][0]["schema"]["maximum"] = 1
    case = negative_query_case(schemathesis.openapi.from_dict(stricter, config=support.config())[
        "/postloan/warnings"]["GET"])
    case.query = {"limit": 2}
    with pytest.raises(FailureGroup) as found:
        support.call_as(case, api_url, token("am.nongan"))
    assert [type(e).__name__ for e in found.value.exceptions] == ["AcceptedNegativeData"]
    case = negative_query_case(support.load_schema()["/postloan/warnings"]["GET"])
    case.query = {"limit": 201}
    support.call_as(case, api_url, token("am.nongan"))  # refused (422): no finding
