"""Fuzz every operation of docs/openapi.json as a farmer (farmer.demo: self-service routes only, everything
else refused in the error model), tests/fuzz/support.py."""
from __future__ import annotations

import pytest

from tests.fuzz import support

pytestmark = [pytest.mark.stack, pytest.mark.fuzz]

schema = support.load_schema()


@schema.parametrize()
@support.SETTINGS
def test_operation_as_a_farmer(case, api_url, token):
    support.run_as(("farmer.demo",), case, api_url, token)
