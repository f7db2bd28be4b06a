"""The shared request field types (chalicelib.platform.inputs), the strict request base model, the query-string
reading of the route layer and the multi-line text rule: pure, no sockets."""
from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest
from pydantic import ValidationError

from chalicelib.customers.domain import roster_cells
from chalicelib.platform.errors import pydantic_error_code
from chalicelib.platform.http.routing import query_values
from chalicelib.platform.inputs import (
    AmountRefused,
    IsoDate,
    IsoDateTime,
    Money,
    Mu,
    NetMoney,
    PositiveMoney,
    RequestModel,
    Uuid,
    VillageCode,
    check_amount,
    quantity,
)
from chalicelib.platform.text import text


class Amounts(RequestModel):
    money: Money | None = None
    net: NetMoney | None = None
    positive: PositiveMoney | None = None


class Dates(RequestModel):
    day: IsoDate | None = None
    moment: IsoDateTime | None = None
    uuid: Uuid | None = None
    village: VillageCode | None = None


class Scalars(RequestModel):
    flag: bool = False
    count: int = 0
    limit: int | None = None


class Areas(RequestModel):
    land: Mu | None = None
    plot: quantity(maximum=100, positive=True) | None = None


class Notes(RequestModel):
    line: text(max_length=50) | None = None
    comment: text(max_length=50, multiline=True) | None = None


def _codes(model, data) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as exc:
        model.model_validate(data)
    return [(".".join(map(str, e["loc"])), pydantic_error_code(e["type"])) for e in exc.value.errors()]


# ------------------------------------------------------------------------------------------ money

@pytest.mark.parametrize("raw,expected", [
    ("1234.50", "1234.50"), ("1234.5", "1234.50"), ("0", "0.00"), ("0.01", "0.01"), (1234, "1234.00"),
    (Decimal("1234.5"), "1234.50"), (12.5, "12.50"), ("999999999999999.99", "999999999999999.99")])
def test_money_is_read_exactly_and_kept_to_the_fen(raw, expected):
    value = Amounts.model_validate({"money": raw}).money
    assert isinstance(value, Decimal) and str(value) == expected


@pytest.mark.parametrize("raw,code", [
    ("1e5", "AMOUNT_FORMAT"), ("1E5", "AMOUNT_FORMAT"),
    (Decimal("1E+5"), "AMOUNT_FORMAT"),            # the JSON number 1e5, as the route layer parses it
    (" 1000", "AMOUNT_FORMAT"), ("1000 ", "AMOUNT_FORMAT"), ("1_000", "AMOUNT_FORMAT"), ("1,000", "AMOUNT_FORMAT"),
    ("０１０００", "AMOUNT_FORMAT"), ("+1000", "AMOUNT_FORMAT"), ("1000.", "AMOUNT_FORMAT"), (".5", "AMOUNT_FORMAT"),
    ("01", "AMOUNT_FORMAT"), ("", "AMOUNT_FORMAT"), ("NaN", "AMOUNT_FORMAT"), (Decimal("NaN"), "AMOUNT_FORMAT"),
    (Decimal("Infinity"), "AMOUNT_FORMAT"), (float("inf"), "AMOUNT_FORMAT"), (True, "AMOUNT_FORMAT"),
    ([1], "AMOUNT_FORMAT"), ({"v": 1}, "AMOUNT_FORMAT"),
    ("1000000000000000", "AMOUNT_FORMAT"), (10 ** 15, "AMOUNT_FORMAT"),
    ("1.001", "AMOUNT_PRECISION"), ("1.000", "AMOUNT_PRECISION"), (Decimal("0.001"), "AMOUNT_PRECISION"),
    (0.1 + 0.2, "AMOUNT_PRECISION"),
    ("-1", "AMOUNT_NEGATIVE"), ("-0", "AMOUNT_NEGATIVE"), (-5, "AMOUNT_NEGATIVE")])
def test_money_that_is_not_a_plain_amount_is_refused_with_its_code(raw, code):
    assert _codes(Amounts, {"money": raw}) == [("money", code)]


def test_the_sign_of_an_amount_is_decided_per_field():
    assert Amounts.model_validate({"net": "-1234.56"}).net == Decimal("-1234.56")
    assert str(Amounts.model_validate({"net": "-0"}).net) == "0.00"
    assert _codes(Amounts, {"positive": "0.00"}) == [("positive", "AMOUNT_ZERO")]
    assert _codes(Amounts, {"positive": 0}) == [("positive", "AMOUNT_ZERO")]
    assert _codes(Amounts, {"positive": "-3"}) == [("positive", "AMOUNT_NEGATIVE")]
    assert Amounts.model_validate({"positive": "0.01"}).positive == Decimal("0.01")


#: Strings around the edges of the money grammar (signs, zeros, decimals, lengths, look-alike characters).
CORPUS = ["0", "-0", "00", "0.0", "0.00", "0.000", "0.01", "0.1", "0.10", "0.05", "-0.01", "1", "-1", "10", "01",
          "1.", ".1", "1.5", "1.50", "1.505", "+1", " 1", "1 ", "1e5", "1E5", "1_0", "1,0", "１", "٣", "1.2.3", "--1",
          "9" * 15, "9" * 16, "9" * 15 + ".99", "-" + "9" * 15 + ".99", "1" + "0" * 15, "abc", "", "NaN", "Infinity",
          "1\n", "\n1"]


@pytest.mark.parametrize("field", ["money", "net", "positive"])
def test_the_documented_pattern_of_an_amount_string_is_exactly_what_is_accepted(field):
    """docs/openapi.json describes each money field as a string pattern or a bounded number; the fuzz layer's
    negative_data_rejection check sends what the description forbids, so the two must not disagree."""
    schema = Amounts.model_json_schema()["properties"][field]["anyOf"][0]["anyOf"]
    pattern = re.compile(next(s["pattern"] for s in schema if s["type"] == "string"))
    for raw in CORPUS:
        try:
            Amounts.model_validate({field: raw})
            accepted = True
        except ValidationError:
            accepted = False
        assert accepted == bool(pattern.fullmatch(raw)), (field, raw)


def test_the_roster_import_and_the_api_give_the_same_codes_for_the_same_mistakes():
    for cell, api_value, code in (("1e5", "1e5", "AMOUNT_FORMAT"), ("0.001", "0.001", "AMOUNT_PRECISION"),
                                  ("-5", "-5", "AMOUNT_NEGATIVE"), ("1000000000000000", "1000000000000000",
                                                                    "AMOUNT_FORMAT")):
        with pytest.raises(roster_cells.CellError) as cell_error:
            roster_cells.amount(cell, "元", may_be_negative=False)
        assert cell_error.value.code == code
        assert _codes(Amounts, {"money": api_value}) == [("money", code)]


def test_check_amount_is_the_rule_on_a_number():
    assert str(check_amount(Decimal("12.5"), sign="non_negative")) == "12.50"
    assert str(check_amount(Decimal("-0.00"), sign="non_negative")) == "0.00"
    for value, sign, code in ((Decimal("0.005"), "any", "AMOUNT_PRECISION"), (Decimal("-1"), "non_negative",
                              "AMOUNT_NEGATIVE"), (Decimal("1E15"), "any", "AMOUNT_FORMAT"),
                              (Decimal("0"), "positive", "AMOUNT_ZERO"), (Decimal("sNaN"), "any", "AMOUNT_FORMAT")):
        with pytest.raises(AmountRefused) as exc:
            check_amount(value, sign=sign)
        assert exc.value.code == code


# ------------------------------------------------------------------------------------------ quantities

def test_a_quantity_is_a_plain_decimal_with_two_places_and_bounds():
    assert Areas.model_validate({"land": "12.5"}).land == Decimal("12.50")
    assert Areas.model_validate({"land": 100000}).land == Decimal("100000.00")
    assert _codes(Areas, {"land": "12.345"}) == [("land", "NUMBER_PRECISION")]
    assert _codes(Areas, {"land": "1e3"}) == [("land", "NUMBER_FORMAT")]
    assert _codes(Areas, {"land": "-0"}) == [("land", "NUMBER_NEGATIVE")]
    assert _codes(Areas, {"land": Decimal("100000.01")}) == [("land", "FIELD_LESS_THAN_EQUAL")]
    assert _codes(Areas, {"plot": "0.00"}) == [("plot", "FIELD_GREATER_THAN")]


# ------------------------------------------------------------------------------------------ dates, times, ids

@pytest.mark.parametrize("raw", [0, "0", 20260301, "20260301", "2026-3-1", "2026-02-30", "2026-03-01T00:00:00",
                                 "２０２６-03-01", " 2026-03-01", datetime(2026, 3, 1, tzinfo=UTC), 1.5,
                                 True, "2026-W09-7"])
def test_a_date_is_an_iso_calendar_day_and_nothing_else(raw):
    assert _codes(Dates, {"day": raw}) == [("day", "DATE_FORMAT")]


def test_a_date_is_read_from_its_iso_text_or_a_date():
    assert Dates.model_validate({"day": "2024-02-29"}).day == date(2024, 2, 29)
    assert Dates.model_validate({"day": date(2026, 3, 1)}).day == date(2026, 3, 1)


def test_an_instant_needs_its_utc_offset():
    assert Dates.model_validate({"moment": "2026-03-01T09:30:00+08:00"}).moment == datetime(
        2026, 3, 1, 1, 30, tzinfo=UTC)
    assert Dates.model_validate({"moment": "2026-03-01T01:30:00.250Z"}).moment.microsecond == 250000
    for raw in ("2026-03-01T09:30:00", "2026-03-01", "2026-03-01 09:30:00Z", 1772350200, "2026-03-01T9:30:00Z",
                "2026-03-01T24:00:00Z", datetime(2026, 3, 1, 9, 30)):
        assert _codes(Dates, {"moment": raw}) == [("moment", "DATETIME_FORMAT")], raw


def test_a_uuid_is_its_canonical_text():
    text_form = "0b5e3f4c-8d2a-4c1e-9f7a-2d6c4b8e1a03"
    assert Dates.model_validate({"uuid": text_form.upper()}).uuid == UUID(text_form)
    for raw in (text_form.replace("-", ""), "{" + text_form + "}", "urn:uuid:" + text_form, 1, text_form + " "):
        assert _codes(Dates, {"uuid": raw}) == [("uuid", "UUID_FORMAT")], raw


def test_a_village_code_is_twelve_ascii_digits():
    assert Dates.model_validate({"village": "220122102202"}).village == "220122102202"
    for raw in ("22012210220", "2201221022020", "２２０１２２１０２２０２", " 220122102202"):
        assert _codes(Dates, {"village": raw}) == [("village", "VILLAGE_CODE_FORMAT")], raw


# ------------------------------------------------------------------------------------------ strict scalars

@pytest.mark.parametrize("data,expected", [
    ({"flag": 0}, ("flag", "FIELD_BOOL_TYPE")), ({"flag": "true"}, ("flag", "FIELD_BOOL_TYPE")),
    ({"flag": "yes"}, ("flag", "FIELD_BOOL_TYPE")), ({"flag": None}, ("flag", "FIELD_BOOL_TYPE")),
    ({"count": 1.0}, ("count", "FIELD_INT_TYPE")), ({"count": Decimal("1.0")}, ("count", "FIELD_INT_TYPE")),
    ({"count": "1"}, ("count", "FIELD_INT_TYPE")), ({"count": True}, ("count", "FIELD_INT_TYPE")),
    ({"extra": 1}, ("extra", "FIELD_UNKNOWN"))])
def test_request_models_do_not_coerce_one_json_type_into_another(data, expected):
    assert _codes(Scalars, data) == [expected]


def test_a_json_body_reaches_the_model_with_its_own_types():
    body = json.loads('{"flag": true, "count": 3}')
    assert Scalars.model_validate(body) == Scalars(flag=True, count=3)


@pytest.mark.parametrize("raw,expected", [("5", 5), ("0", 0), ("-2", -2), ("007", 7)])
def test_a_query_integer_is_read_from_decimal_digits(raw, expected):
    assert Scalars.model_validate(query_values(Scalars, {"count": raw, "limit": raw})).limit == expected


@pytest.mark.parametrize("raw", ["1.0", "1e3", " 1", "1 ", "+1", "1_000", "０", "0x10", "", "true", "9" * 5000])
def test_a_query_integer_that_is_not_decimal_digits_is_refused(raw):
    assert _codes(Scalars, query_values(Scalars, {"limit": raw})) == [("limit", "FIELD_INT_TYPE")]


def test_a_query_boolean_is_true_or_false_exactly():
    assert Scalars.model_validate(query_values(Scalars, {"flag": "true"})).flag is True
    assert Scalars.model_validate(query_values(Scalars, {"flag": "false"})).flag is False
    for raw in ("True", "1", "0", "yes", "on", ""):
        assert _codes(Scalars, query_values(Scalars, {"flag": raw})) == [("flag", "FIELD_BOOL_TYPE")], raw


def test_a_query_date_is_read_by_its_field_type():
    assert Dates.model_validate(query_values(Dates, {"day": "2026-03-01"})).day == date(2026, 3, 1)
    assert _codes(Dates, query_values(Dates, {"day": "0"})) == [("day", "DATE_FORMAT")]


# ------------------------------------------------------------------------------------------ multi-line text

def test_multiline_text_keeps_its_line_breaks_and_nothing_else_invisible():
    assert Notes.model_validate({"comment": " 核实无误 \r\n\r\n  已\u3000\u3000处置  \r"}).comment == "核实无误\n\n已 处置"
    assert _codes(Notes, {"comment": "已处置\u202e"}) == [("comment", "TEXT_INVISIBLE_CHARACTER")]
    assert _codes(Notes, {"comment": "已\t处置"}) == [("comment", "TEXT_INVISIBLE_CHARACTER")]
    assert _codes(Notes, {"comment": "已\u2028处置"}) == [("comment", "TEXT_INVISIBLE_CHARACTER")]
    assert _codes(Notes, {"line": "已\n处置"}) == [("line", "TEXT_INVISIBLE_CHARACTER")]
