"""The bounded retry of a whole read → decide → conditional write (chalicelib.platform.dynamo.retry_conflicts)."""
from __future__ import annotations

import pytest

from chalicelib.platform.dynamo import retry_conflicts
from chalicelib.platform.errors import Conflict


class _Flaky:
    def __init__(self, failures: int, code: str = "VERSION_CONFLICT"):
        self.failures, self.code, self.calls = failures, code, 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise Conflict("changed", code=self.code)
        return "done"


def test_a_conflicting_write_is_run_again_until_it_applies_with_growing_capped_waits():
    waits: list[float] = []
    attempt = _Flaky(failures=7)
    assert retry_conflicts(attempt, attempts=10, base_seconds=0.1, cap_seconds=1.0, sleep=waits.append,
                           rand=lambda: 1.0) == "done"
    assert attempt.calls == 8
    # rand = 1 → the whole window min(cap, base × 2^n): 0.1, 0.2, 0.4, 0.8, then capped at 1.0
    assert waits == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0])
    low: list[float] = []
    retry_conflicts(_Flaky(failures=3), base_seconds=0.1, cap_seconds=1.0, sleep=low.append, rand=lambda: 0.0)
    assert low == pytest.approx([0.05, 0.1, 0.2])  # never less than half the window: waits always grow


def test_the_retry_is_bounded_and_other_errors_are_not_retried():
    attempt = _Flaky(failures=100, code="CONCURRENT_UPDATE")
    with pytest.raises(Conflict) as err:
        retry_conflicts(attempt, attempts=4, sleep=lambda _s: None)
    assert err.value.code == "CONCURRENT_UPDATE" and attempt.calls == 4
    other = _Flaky(failures=1, code="LOAN_CLOSED")
    with pytest.raises(Conflict):
        retry_conflicts(other, sleep=lambda _s: None)
    assert other.calls == 1
