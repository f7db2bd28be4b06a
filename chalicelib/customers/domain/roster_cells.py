"""Reading one roster cell (花名册): text, resident IDs (and IDs a spreadsheet stored as numbers), phones, dates,
value words, money (by the money rule the API applies), numbers and livestock lists. A cell that cannot be read
raises :class:`CellError` with a stable code; its value is never quoted. Pure domain code."""
from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from chalicelib.customers.domain.roster_columns import LIVESTOCK, UNITS, Column, RowError, norm_text
from chalicelib.platform.identity import resident_id_check_char
from chalicelib.platform.inputs import AmountRefused, check_amount

#: a cell that was refused (its report line says why): the value is left out of the household
INVALID = object()


class CellError(Exception):
    """A cell that cannot be read: ``code`` and a ``message`` that never quotes the cell."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


#: A plain decimal number as written in a cell: optional sign, at most 15 integer and 12 fraction digits
#: (so every value and every unit conversion stays exact in Decimal's 28-digit context).
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,15}(?:\.[0-9]{0,12})?|\.[0-9]{1,12})")
#: A plain number with more integer digits than any amount (money: ``AMOUNT_FORMAT``, as the API says).
_LONG_NUMBER = re.compile(r"[+-]?[0-9]{16,}(?:\.[0-9]*)?")
#: Scientific notation as Excel writes a large number into a CSV (``2.20183E+17``) or as typed (``1e5``).
_EXPONENT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]+")
#: An integer that went through a float (``220183197012116000.0``).
_FLOAT_INTEGER = re.compile(r"[0-9]+\.0+")
#: Excel keeps 15 significant digits of a number (Microsoft Learn, "Excel specifications and limits":
#: number precision 15 digits), so a float read from an XLSX cell is taken at
#: 15 significant digits: 1234.5600000000002 (a formula's binary result) is the 1234.56 the user sees.
EXCEL_DIGITS = 15


def _number(raw: Any, *, unit_multiplier: Decimal = Decimal(1), money: bool = False) -> Decimal:
    """A cell → Decimal, exactly (never through binary floating point except an XLSX float, see
    :data:`EXCEL_DIGITS`). Text may carry thousands separators, a unit suffix (元, 万, 万元, 亩, ㎡ ...).
    Raises ``NUMBER_FORMAT`` (not a plain number), or for money ``AMOUNT_FORMAT`` (scientific notation)."""
    not_a_number = CellError("NUMBER_FORMAT", "应为数字 (a number is expected)")
    if isinstance(raw, bool):
        raise not_a_number
    if isinstance(raw, (int, Decimal)):
        return Decimal(raw) * unit_multiplier
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise not_a_number
        return Decimal(format(raw, f".{EXCEL_DIGITS}g")) * unit_multiplier
    text = norm_text(raw).replace(",", "").replace("，", "").replace(" ", "")
    mult = unit_multiplier
    if text.endswith("万元") or text.endswith("万"):
        text = text[:-2] if text.endswith("万元") else text[:-1]
        mult = Decimal(10000)
    elif text.endswith("元"):
        text = text[:-1]
        mult = Decimal(1) if unit_multiplier == Decimal(1) else unit_multiplier
    for suffix in ("平方米", "㎡", "亩", "m2"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    if _EXPONENT.fullmatch(text):
        raise CellError("AMOUNT_FORMAT" if money else "NUMBER_FORMAT",
                         "不接受科学计数法 (如 1e5、1.2E+05)，请写出完整数字 (scientific notation is not accepted)")
    if not _PLAIN_NUMBER.fullmatch(text):
        if money and _LONG_NUMBER.fullmatch(text):
            raise CellError("AMOUNT_FORMAT", "金额过大 (amount too large)")
        raise not_a_number
    return Decimal(text) * mult


def amount(raw: Any, unit: str, *, may_be_negative: bool) -> Decimal:
    """A money cell → CNY with fen precision, by the money rule the API applies too
    (``chalicelib.platform.inputs.check_amount``). Refused, never rounded: more than two decimals after the
    unit conversion (``AMOUNT_PRECISION``: ``0.001`` is not ``0.00``); a negative asset, debt or expense
    (``AMOUNT_NEGATIVE``); scientific notation or a value too large for any amount (``AMOUNT_FORMAT``)."""
    value = _number(raw, unit_multiplier=UNITS.get(unit, Decimal(1)), money=True)
    try:
        return check_amount(value, sign="any" if may_be_negative else "non_negative")
    except AmountRefused as exc:
        raise CellError(exc.code, exc.message) from None


def convert(col: Column, unit: str, raw: Any) -> Any:
    """A cell of column ``col`` (header unit ``unit``) → its value (``None`` for a blank cell). Raises
    :class:`CellError`."""
    if raw is None or (isinstance(raw, str) and not norm_text(raw)):
        return None
    if col.kind == "text":
        return norm_text(raw)
    if col.kind == "id":
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            raise CellError("ID_STORED_AS_NUMBER", _ID_AS_NUMBER)
        text = norm_text(raw)
        if _EXPONENT.fullmatch(text) or _FLOAT_INTEGER.fullmatch(text):
            raise CellError("ID_STORED_AS_NUMBER", _ID_AS_NUMBER)
        return text
    if col.kind == "phone":
        # an 11-digit mobile number fits a spreadsheet number exactly (< 2**53): a numeric cell is accepted
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        return norm_text(raw)
    if col.kind == "date":
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        text = norm_text(raw)
        m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
        try:
            if not m:
                raise ValueError
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise CellError("DATE_FORMAT", "日期格式应为 YYYY-MM-DD (date expected)") from None
    if col.kind in ("word", "bool"):
        text = norm_text(raw)
        words = col.words or {}
        key = text.lower() if col.kind == "bool" else text
        if key in words:
            return words[key]
        if text in words.values() and col.kind == "word":
            return text  # the English code itself
        raise CellError("VALUE_UNKNOWN", f"不认识的取值，可填: {'/'.join(list(words)[:12])} (unknown value)")
    if col.kind in ("money", "net_money"):
        return amount(raw, unit, may_be_negative=col.kind == "net_money")
    if col.kind == "number":
        return _number(raw)
    if col.kind == "livestock":
        return _livestock(norm_text(raw))
    if col.kind == "list":
        return [p for p in re.split(r"[;；,，、\s]+", norm_text(raw)) if p]
    raise AssertionError(col.kind)


_ID_AS_NUMBER = ("身份证号被 Excel 当作数字保存，末几位已变成 0；请把该列设置单元格格式为文本，再重新输入身份证号 "
                 "(the ID number was stored as a number and lost its last digits: format the column as text "
                 "and type the numbers again)")


def ids_mangled_by_excel(records: list[tuple[int, dict[str, Any]]], headers: dict[str, str],
                          cell_errors: dict[int, list[RowError]]) -> None:
    """Refuse the ID numbers of a column that went through a spreadsheet number format.

    Excel keeps 15 significant digits, so an 18-digit ID typed into a numeric cell keeps its first 15
    digits and ends in ``000`` (``220183197012116983`` → ``220183197012116000``); saved as CSV, or pasted
    as text afterwards, it looks like text. One such number in eleven still passes the check digit and
    would be stored for the wrong person. A real ID ends in ``000`` about once in 1,100 people, so
    ``000`` alone proves nothing; the column does: when any ID of the file was refused as a number
    (numeric cell, ``2.20183E+17``) or ends in ``000`` with a wrong check digit, every 18-digit ID of the
    file ending in ``000`` is refused with ``ID_STORED_AS_NUMBER``. A file whose only damaged ID happens
    to pass the check cannot be told from a genuine one (documented in docs/roster_template.md).
    """
    suspects = [(n, values) for n, values in records
                if isinstance(values.get("resident_id"), str) and re.fullmatch(r"[0-9]{15}000", values["resident_id"])]
    if not suspects:
        return
    evidence = any(e.code == "ID_STORED_AS_NUMBER" for errs in cell_errors.values() for e in errs) or any(
        resident_id_check_char(v["resident_id"][:17]) != "0" for _, v in suspects)
    if not evidence:
        return
    header = headers["resident_id"]
    for n, values in suspects:
        values["resident_id"] = INVALID
        cell_errors.setdefault(n, []).append(RowError(n, header, "ID_STORED_AS_NUMBER", _ID_AS_NUMBER))


def _livestock(text: str) -> list[dict[str, Any]]:
    out: dict[str, int] = {}
    for part in re.split(r"[;；,，、\s]+", text):
        if not part or part in ("无", "0"):
            continue
        m = re.fullmatch(r"([^\d:：]+)[:：]?(\d+)(头|只|匹|口)?", part)
        if not m:
            raise CellError("NUMBER_FORMAT", "养殖应写成 品种+数量，如 肉牛5头;生猪20头 (kind and count expected)")
        kind = LIVESTOCK.get(m.group(1), "other")
        out[kind] = out.get(kind, 0) + int(m.group(2))
    return [{"kind": k, "count": v} for k, v in out.items()]
