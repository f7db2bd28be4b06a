"""Fuzz every operation of docs/openapi.json as staff: an account manager of an outlet (am.nongan) and the
province administrator (province.admin), who may call nearly everything (tests/fuzz/support.py)."""
from __future__ import annotations

import pytest

from tests.fuzz import support

pytestmark = [pytest.mark.stack, pytest.mark.fuzz]

schema = support.load_schema()
STAFF = ("am.nongan", "province.admin")


@schema.parametrize()
@support.SETTINGS
def test_operation_as_staff(case, api_url, token):
    support.run_as(STAFF, case, api_url, token)
