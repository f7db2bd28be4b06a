"""The business date: the local clock moves it only in the local and test stages; the environment override is the
fallback; otherwise today in Asia/Shanghai."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.platform import clock
from chalicelib.platform.settings import Settings, get_settings

#: Every variable the settings model requires, read from the model itself so that a new one cannot make this test
#: depend on what an earlier test left in the environment (values are never used to reach anything here).
_ENV = {name.upper(): "x" * 12 for name, info in Settings.model_fields.items()
        if info.is_required() and name != "stage"}


@pytest.fixture
def stage(monkeypatch):
    """``stage("prod")`` → the settings of that stage; the clock and the settings cache are reset afterwards."""
    def set_stage(name: str) -> None:
        for k, v in {**_ENV, "STAGE": name}.items():
            monkeypatch.setenv(k, v)
        monkeypatch.delenv("BUSINESS_DATE_OVERRIDE", raising=False)
        get_settings.cache_clear()

    yield set_stage
    clock._pinned = None
    get_settings.cache_clear()


def _shanghai_today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_the_local_clock_is_refused_outside_the_local_and_test_stages(stage, name):
    stage(name)
    with pytest.raises(clock.LocalClockRefused, match=f"not in {name}"):
        clock.set_local_business_date(date(2027, 6, 30))
    assert clock.local_business_date() is None
    assert clock.business_date() in (_shanghai_today(), clock.calendar_date())


def test_a_pin_is_not_obeyed_once_the_stage_is_not_local(stage):
    stage("test")
    clock.set_local_business_date(date(2027, 6, 30))
    stage("prod")  # the same process re-configured: the pin must not silently move a production date
    with pytest.raises(clock.LocalClockRefused):
        clock.business_date()


@pytest.mark.parametrize("name", ["local", "test"])
def test_in_local_and_test_stages_the_pin_moves_the_date_and_reset_follows_the_calendar(stage, name, monkeypatch):
    stage(name)
    assert clock.set_local_business_date(date(2027, 6, 30)) == date(2027, 6, 30)
    assert clock.business_date() == date(2027, 6, 30) and clock.local_business_date() == date(2027, 6, 30)
    monkeypatch.setenv("BUSINESS_DATE_OVERRIDE", "2025-01-01")  # the pin wins over the environment
    assert clock.business_date() == date(2027, 6, 30)
    assert clock.set_local_business_date(None) == date(2025, 1, 1)
    monkeypatch.delenv("BUSINESS_DATE_OVERRIDE")
    assert clock.business_date() in (_shanghai_today(), clock.calendar_date())
    assert clock.local_business_date() is None


def test_without_a_pin_the_environment_override_applies(monkeypatch):
    monkeypatch.setenv("BUSINESS_DATE_OVERRIDE", "2026-12-15")
    assert clock.business_date() == date(2026, 12, 15)


def test_the_settings_refuse_the_environment_override_outside_local_and_test(stage, monkeypatch):
    stage("prod")
    monkeypatch.setenv("BUSINESS_DATE_OVERRIDE", "2026-12-15")
    get_settings.cache_clear()
    with pytest.raises(RuntimeError, match="only allowed in local and test"):
        get_settings()
