"""config.lpr_table(): the lpr_fixings version in force, the shipped default when none is stored, parsed once per
version (the parameter store is replaced by a dict of versions: unit tests open no sockets)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chalicelib.loans.service import config
from chalicelib.platform import parameters
from chalicelib.platform.errors import NotFound


@pytest.fixture
def store(monkeypatch):
    """``{effective_from: (version, document)}`` read by ``parameters.get_effective`` like the real store."""
    versions: dict[date, tuple[int, dict]] = {}

    def get_effective(name, on):
        assert name == "lpr_fixings"
        in_force = [d for d in versions if d <= on]
        if not in_force:
            raise NotFound("none", code="PARAMETER_NOT_FOUND")
        version, value = versions[max(in_force)]
        return {"name": name, "version": version, "effective_from": max(in_force).isoformat(), "value": value}

    monkeypatch.setattr(parameters, "get_effective", get_effective)
    monkeypatch.setattr(parameters, "_PARSED", {})
    return versions


def test_without_a_stored_version_the_shipped_default_is_used(store):
    table, version = config.lpr_table(date(2026, 11, 30))
    assert version is None and table.as_of == date(2026, 8, 20) and len(table.fixings) == 85


def test_the_version_in_force_on_the_date_is_parsed_once_per_version(store):
    shipped = parameters.default_document("lpr_fixings")
    store[date(2020, 1, 1)] = (1, shipped)
    store[date(2027, 1, 4)] = (2, {**shipped, "fixings": shipped["fixings"] + [["2026-12-21", "2.90", "3.40"]]})
    old, v1 = config.lpr_table(date(2027, 1, 3))
    new, v2 = config.lpr_table(date(2027, 1, 4))
    assert (v1, v2) == (1, 2)
    assert old.as_of == date(2026, 8, 20) and new.as_of == date(2026, 12, 21)
    assert new.fixings[-1].one_year_pct == Decimal("2.90")
    assert config.lpr_table(date(2027, 2, 1))[0] is new  # cached: the same parsed table, not a re-parse
