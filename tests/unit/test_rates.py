"""LPR lookup and contract rates against published fixings (CFETS, since 2019-08-20)."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from chalicelib.loans.domain.rates import contract_rate, lpr_on, parse_lpr_table
from chalicelib.platform.errors import ValidationFailed

LPR_FILE = Path(__file__).resolve().parents[2] / "chalicelib" / "reference" / "parameters" / "lpr_fixings.json"
TABLE = parse_lpr_table(json.loads(LPR_FILE.read_text(encoding="utf-8")))
ANY = {"grace_days": None}


def test_table_shape():
    assert len(TABLE.fixings) == 85
    assert TABLE.fixings[0].date == date(2019, 8, 20)
    assert TABLE.as_of == date(2026, 8, 20)


@pytest.mark.parametrize("on,tenor,expected", [
    (date(2019, 8, 20), "1Y", "0.0425"),   # first reformed LPR: 1Y 4.25 %
    (date(2019, 8, 20), "5Y", "0.0485"),   # 5Y 4.85 %
    (date(2019, 9, 19), "1Y", "0.0425"),   # day before the 2019-09-20 fixing: still 4.25 %
    (date(2019, 9, 20), "1Y", "0.0420"),   # fixing applies from its publication day
    (date(2020, 4, 20), "1Y", "0.0385"),   # April 2020 cut to 3.85 %
    (date(2020, 4, 20), "5Y", "0.0465"),
    (date(2022, 8, 21), "5Y", "0.0445"),   # 2022-08-20 was a Saturday: fixing published 2022-08-22
    (date(2022, 8, 22), "5Y", "0.0430"),
    (date(2024, 2, 19), "5Y", "0.0420"),
    (date(2024, 2, 20), "5Y", "0.0395"),   # 5Y cut to 3.95 % on 2024-02-20 (1Y unchanged 3.45 %)
    (date(2024, 2, 20), "1Y", "0.0345"),
    (date(2024, 10, 21), "1Y", "0.0310"),  # October 2024: -25 bp to 3.10 % / 3.60 %
    (date(2025, 5, 20), "1Y", "0.0300"),   # May 2025: 3.00 % / 3.50 %
    (date(2025, 5, 20), "5Y", "0.0350"),
])
def test_published_fixings(on, tenor, expected):
    assert lpr_on(on, tenor, TABLE, **ANY) == D(expected)


def test_before_reform_not_available():
    with pytest.raises(ValidationFailed) as err:
        lpr_on(date(2019, 8, 19), "1Y", TABLE)
    assert err.value.code == "LPR_NOT_AVAILABLE"


def test_stale_table_rejected_unless_accepted():
    # the table ends 2026-08-20; the next fixing was due on Sunday 2026-09-20, a make-up working day of the 2026
    # National Day holiday (State Council notice): overdue from 09-21, priced with the last fixing during the
    # 10 days' grace, refused from 2026-10-01
    assert lpr_on(date(2026, 9, 30), "1Y", TABLE) == D("0.0300")
    with pytest.raises(ValidationFailed) as err:
        lpr_on(date(2026, 10, 1), "1Y", TABLE)
    assert err.value.code == "LPR_TABLE_STALE"
    assert err.value.details["missing_fixings"] == ["2026-09-20"]
    assert err.value.details["refused_from"] == "2026-10-01" and err.value.details["overdue_since"] == "2026-09-21"
    assert "2026-09-20" in err.value.message and "lpr add" in err.value.message
    assert lpr_on(date(2026, 10, 5), "1Y", TABLE, grace_days=None) == D("0.0300")
    assert lpr_on(date(2026, 10, 4), "1Y", TABLE, grace_days=14) == D("0.0300")  # the grace is a parameter


def test_bad_tenor():
    with pytest.raises(ValidationFailed) as err:
        lpr_on(date(2020, 1, 1), "3Y", TABLE)
    assert err.value.code == "LPR_TENOR_INVALID"


def test_contract_rate_lpr_plus_spread():
    # 1Y LPR on 2019-08-20 4.25 % + 50 bp = 4.75 %
    assert contract_rate(base="LPR1Y", spread_bps=50, on_date=date(2019, 8, 20), table=TABLE) == D("0.0475")
    # 5Y LPR on 2024-02-20 3.95 % - 20 bp = 3.75 %
    assert contract_rate(base="LPR5Y", spread_bps=-20, on_date=date(2024, 2, 20), table=TABLE,
                         **ANY) == D("0.0375")
    assert contract_rate(base="LPR1Y", spread_bps=D("12.5"), on_date=date(2025, 5, 20), table=TABLE,
                         **ANY) == D("0.03125")  # 3.00 % + 12.5 bp (0.125 %) = 3.125 %


def test_contract_rate_fixed():
    assert contract_rate(base="FIXED", fixed_rate=D("0.0435")) == D("0.0435")


@pytest.mark.parametrize("kwargs,code", [
    ({"base": "SHIBOR"}, "RATE_BASE_INVALID"),
    ({"base": "FIXED"}, "RATE_INPUT_MISSING"),
    ({"base": "FIXED", "fixed_rate": 0.0435}, "NOT_DECIMAL"),
    ({"base": "FIXED", "fixed_rate": D("0.0435"), "spread_bps": 10}, "RATE_INPUT_INVALID"),
    ({"base": "LPR1Y", "spread_bps": 10}, "RATE_INPUT_MISSING"),
    ({"base": "LPR1Y", "spread_bps": 0.5, "on_date": date(2020, 1, 1), "table": TABLE}, "NOT_DECIMAL"),
    ({"base": "LPR1Y", "spread_bps": -500, "on_date": date(2020, 1, 1), "table": TABLE}, "RATE_NEGATIVE"),
])
def test_contract_rate_validation(kwargs, code):
    with pytest.raises(ValidationFailed) as err:
        contract_rate(**kwargs)
    assert err.value.code == code


@pytest.mark.parametrize("document", [
    {"fixings": []},
    {"fixings": [["2019-08-20", 4.25, "4.85"]]},
    {"fixings": [["2019-08-20", "4.25"]]},
    {"fixings": [["2019-13-20", "4.25", "4.85"]]},
    {"fixings": [["2019-08-20", "4.25", "4.85"], ["2019-08-20", "4.20", "4.85"]]},
    {"fixings": [["2019-08-20", "4.25", "4.85"]], "as_of": "2019-08-32"},
])
def test_bad_table_rejected(document):
    with pytest.raises(ValidationFailed) as err:
        parse_lpr_table(document)
    assert err.value.code == "LPR_TABLE_INVALID"
