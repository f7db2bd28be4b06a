"""Village roster files (花名册 / 农户信息采集表): CSV or XLSX with Chinese column headers → household
inputs with a per-row report. Pure domain code (reads bytes, no I/O).

The template (columns, value words, units) is documented in ``docs/roster_template.md``; an example is
``docs/examples/roster_220122102202.csv``. One household is one group of adjacent rows:

* with a ``户编号`` column, the rows with the same number. A member row (relation other than 户主) whose
  number is blank continues the household of the row above (the usual 花名册 layout writes the number
  once per household); in an XLSX file a cell merged down several rows counts for each of them (so a
  merged ``户编号`` gives every row of the range the number). A head row needs its own number
  (``ROSTER_HEAD_WITHOUT_NUMBER``); a blank number with no household above, or below a row that was
  refused, is ``ROSTER_NO_HOUSEHOLD``; a number whose rows are not adjacent (another household in
  between) refuses that whole household (``ROSTER_HOUSEHOLD_NOT_CONTIGUOUS``): two groups that share a
  number are more often two households numbered twice than one household split;
* without that column, a ``户主`` row followed by its members' rows (``ROSTER_NO_HEAD`` for member rows
  before any head).

Household-level columns (assets, income, ...) may be filled on any row of the group, normally the head's.
Every data row ends up either in a household (written or refused as a whole) or with a report line of
its own: no row is dropped silently.

Row numbers are those a spreadsheet shows (the header row is usually 1). Report entries never quote
a cell value (cells hold personal data): ``{row, field, code, message}`` where ``field`` is the
column header as written in the file.

Codes of this module (the household rules add those of ``chalicelib.customers.domain.households``, including
``TEXT_INVISIBLE_CHARACTER`` for control and invisible characters in names and other text):
``ROSTER_FORMAT`` (not CSV/XLSX, unreadable, no header row), ``ROSTER_EMPTY``, ``ROSTER_TOO_LARGE``,
``ROSTER_MISSING_COLUMN``, ``ROSTER_NO_HEAD``, ``ROSTER_NO_HOUSEHOLD``, ``ROSTER_HEAD_WITHOUT_NUMBER``,
``ROSTER_HOUSEHOLD_NOT_CONTIGUOUS``, ``ROSTER_CONFLICTING_VALUE`` (two rows of one household disagree
on a household field), ``VALUE_UNKNOWN`` (a word the column does not know), ``NUMBER_FORMAT`` (not a
plain decimal number), ``AMOUNT_FORMAT`` (money in scientific notation such as ``1e5``, or absurdly
large), ``AMOUNT_PRECISION`` (money with more than two decimals after unit conversion: refused, never
rounded), ``AMOUNT_NEGATIVE`` (a negative asset, debt or expense; net incomes may be negative),
``DATE_FORMAT``, ``ID_STORED_AS_NUMBER`` (an ID number that went through a numeric spreadsheet cell
and lost its last digits: see :func:`_ids_mangled_by_excel`), ``ROSTER_VILLAGE_MISMATCH``,
``MEMBER_DUPLICATE_IN_FILE``.
"""
from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from chalicelib.platform import csv_safe
from chalicelib.platform.identity import resident_id_check_char
from chalicelib.platform.inputs import AmountRefused, check_amount

MAX_ROWS = 20_000
MAX_BYTES = 20 * 1024 * 1024

# ------------------------------------------------------------------------------------------ vocabulary

RELATIONS = {
    "户主": "head", "本人": "head",
    "配偶": "spouse", "妻": "spouse", "妻子": "spouse", "夫": "spouse", "丈夫": "spouse",
    "子": "child", "女": "child", "儿子": "child", "女儿": "child", "长子": "child", "次子": "child",
    "三子": "child", "长女": "child", "次女": "child", "三女": "child", "子女": "child", "独生子": "child",
    "独生女": "child",
    "儿媳": "child_in_law", "女婿": "child_in_law",
    "父亲": "parent", "母亲": "parent", "父": "parent", "母": "parent", "父母": "parent",
    "岳父": "parent_in_law", "岳母": "parent_in_law", "公公": "parent_in_law", "婆婆": "parent_in_law",
    "孙子": "grandchild", "孙女": "grandchild", "外孙": "grandchild", "外孙子": "grandchild",
    "外孙女": "grandchild", "孙子女": "grandchild",
    "祖父": "grandparent", "祖母": "grandparent", "外祖父": "grandparent", "外祖母": "grandparent",
    "爷爷": "grandparent", "奶奶": "grandparent",
    "兄": "sibling", "弟": "sibling", "姐": "sibling", "妹": "sibling", "哥哥": "sibling", "弟弟": "sibling",
    "姐姐": "sibling", "妹妹": "sibling", "兄弟姐妹": "sibling",
    "其他": "other",
}
GENDERS = {"男": "male", "女": "female"}
LABOUR = {"全劳力": "full", "全劳动力": "full", "强劳力": "full", "半劳力": "partial", "半劳动力": "partial",
          "弱劳力": "partial", "无劳力": "none", "无劳动力": "none", "丧失劳动能力": "none"}
EDUCATION = {"文盲": "none", "未上学": "none", "无": "none", "小学": "primary", "初中": "junior_secondary",
             "高中": "senior_secondary", "中专": "vocational", "职高": "vocational", "技校": "vocational",
             "大专": "college", "本科": "bachelor_or_above", "本科及以上": "bachelor_or_above",
             "研究生": "bachelor_or_above", "硕士": "bachelor_or_above", "博士": "bachelor_or_above"}
HEALTH = {"健康": "good", "良好": "good", "一般": "fair", "较差": "poor", "患病": "poor", "慢性病": "poor",
          "大病": "poor", "残疾": "disabled"}
ASSESSMENT = {"优秀": "excellent", "较好": "good", "良好": "good", "好": "good", "一般": "fair",
              "差": "poor", "较差": "poor"}
REPAYMENT = {"正常": "good", "良好": "good", "正常履约": "good", "无": "none", "无借贷": "none",
             "无贷款": "none", "轻微逾期": "minor_late", "有拖欠已还清": "minor_late", "不良": "bad",
             "严重逾期": "bad", "欠息": "bad"}
YES_NO = {"是": True, "否": False, "y": True, "n": False, "yes": True, "no": False, "1": True, "0": False}
LIVESTOCK = {"肉牛": "cattle", "牛": "cattle", "黄牛": "cattle", "奶牛": "cattle", "西门塔尔牛": "cattle",
             "猪": "pig", "生猪": "pig", "母猪": "pig", "育肥猪": "pig", "羊": "sheep", "绵羊": "sheep",
             "肉羊": "sheep", "山羊": "goat", "鸡": "poultry", "鸭": "poultry", "鹅": "poultry",
             "家禽": "poultry", "马": "horse", "驴": "donkey", "鹿": "deer", "梅花鹿": "deer"}


@dataclass(frozen=True)
class Column:
    """A canonical column: its key, the header names accepted, the kind of value, household level or not."""

    key: str
    names: tuple[str, ...]
    kind: str  # text | id | phone | date | word | money | net_money | number | bool | livestock | list
    household: bool = False
    words: dict[str, Any] | None = None
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("household_no", ("户编号", "户号", "户序号"), "text"),
    Column("relation", ("与户主关系", "关系"), "word", words=RELATIONS, required=True),
    Column("name", ("姓名",), "text", required=True),
    Column("resident_id", ("身份证号", "身份证号码", "公民身份号码"), "id", required=True),
    Column("gender", ("性别",), "word", words=GENDERS),
    Column("birth_date", ("出生日期",), "date"),
    Column("phone", ("联系电话", "手机号", "手机号码", "电话"), "phone"),
    Column("occupation", ("职业", "从事主要职业"), "text"),
    Column("labour_capacity", ("劳动能力",), "word", words=LABOUR),
    Column("education", ("文化程度",), "word", words=EDUCATION),
    Column("health", ("健康状况",), "word", words=HEALTH),
    Column("village_code", ("村代码", "行政区划代码"), "text", household=True),
    Column("village_group", ("村民小组", "组", "小组"), "text", household=True),
    Column("address", ("住址", "家庭住址"), "text", household=True),
    Column("house_area_m2", ("住房面积", "房屋面积"), "number", household=True),
    Column("house_value", ("房屋价值", "住房价值"), "money", household=True),
    Column("contracted_land_mu", ("承包地面积", "承包耕地", "承包地"), "number", household=True),
    Column("transferred_in_land_mu", ("流转入土地", "流转入面积", "流转土地"), "number", household=True),
    Column("livestock", ("养殖品种及数量", "牲畜", "养殖"), "livestock", household=True),
    Column("livestock_value", ("牲畜价值", "养殖价值"), "money", household=True),
    Column("machinery_value", ("农机具价值", "农机价值"), "money", household=True),
    Column("vehicles_value", ("交通工具价值", "车辆价值"), "money", household=True),
    Column("deposits", ("存款",), "money", household=True),
    Column("credit_union_shares", ("信用社股金", "股金"), "money", household=True),
    Column("bank_loans", ("银行贷款",), "money", household=True),
    Column("informal_borrowing", ("民间借款", "民间借贷", "社会融资"), "money", household=True),
    Column("income_crops", ("种植业纯收入", "种植收入"), "net_money", household=True),
    Column("income_livestock", ("养殖业纯收入", "养殖收入"), "net_money", household=True),
    Column("income_business", ("经营纯收入", "经营收入", "商业收入"), "net_money", household=True),
    Column("income_wages", ("务工收入", "劳务收入"), "net_money", household=True),
    Column("income_subsidies", ("补贴收入", "政策性补贴"), "net_money", household=True),
    Column("expense_production", ("生产支出",), "money", household=True),
    Column("expense_living", ("生活支出",), "money", household=True),
    Column("expense_other", ("其他支出",), "money", household=True),
    Column("expense_social", ("人情支出", "人情往来"), "money", household=True),
    Column("expense_education", ("教育支出", "学费"), "money", household=True),
    Column("expense_medical", ("医疗支出", "医疗费"), "money", household=True),
    Column("appliances_value", ("家电家具价值", "家电价值", "家具家电"), "money", household=True),
    Column("receivables_value", ("应收款",), "money", household=True),
    Column("other_assets_value", ("其他资产",), "money", household=True),
    Column("other_debts", ("其他欠款",), "money", household=True),
    Column("main_crops", ("主要作物",), "list", household=True),
    Column("expected_net_income", ("本年预计纯收入", "预计纯收入"), "net_money", household=True),
    Column("collected_on", ("采集日期",), "date", household=True),
    Column("committee_assessment", ("村委评议", "综合评价"), "word", household=True, words=ASSESSMENT),
    Column("repayment_record", ("履约情况", "信用记录"), "word", household=True, words=REPAYMENT),
    Column("blacklisted", ("是否黑名单", "黑名单"), "bool", household=True, words=YES_NO),
    Column("gps_lat", ("纬度",), "number", household=True),
    Column("gps_lon", ("经度",), "number", household=True),
)
_BY_NAME = {n: c for c in COLUMNS for n in c.names}
_UNITS = {"元": Decimal(1), "万元": Decimal(10000), "": Decimal(1)}

#: household-level payload path of each household column (members' columns map to members[i].<key>)
PATHS = {
    "household_no": "household_no",
    "village_code": "village_code", "village_group": "village_group", "address": "address",
    "house_area_m2": "assets.house_area_m2", "house_value": "assets.house_value",
    "contracted_land_mu": "assets.contracted_land_mu", "transferred_in_land_mu": "assets.transferred_in_land_mu",
    "livestock": "assets.livestock", "livestock_value": "assets.livestock_value",
    "machinery_value": "assets.machinery_value", "vehicles_value": "assets.vehicles_value",
    "deposits": "assets.deposits", "credit_union_shares": "assets.credit_union_shares",
    "bank_loans": "liabilities.bank_loans", "informal_borrowing": "liabilities.informal_borrowing",
    "income_crops": "income.crops", "income_livestock": "income.livestock", "income_business": "income.business",
    "income_wages": "income.wages", "income_subsidies": "income.subsidies",
    "expense_production": "expenses.production", "expense_living": "expenses.living",
    "expense_other": "expenses.other", "expense_social": "expenses.social",
    "expense_education": "expenses.education", "expense_medical": "expenses.medical",
    "appliances_value": "assets.appliances_value", "receivables_value": "assets.receivables_value",
    "other_assets_value": "assets.other_assets_value", "other_debts": "liabilities.other_debts",
    "main_crops": "main_crops", "expected_net_income": "expected_net_income", "collected_on": "collected_on",
    "committee_assessment": "committee_assessment",
    "repayment_record": "repayment_record", "blacklisted": "blacklisted", "gps_lat": "gps.lat", "gps_lon": "gps.lon",
}


@dataclass(frozen=True)
class RowError:
    """One report line: spreadsheet ``row``, ``field`` (the column header, or a payload path when no
    column applies), stable ``code``, human ``message`` (never a cell value)."""

    row: int
    field: str
    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "code": self.code, "message": self.message}


@dataclass
class RosterHousehold:
    """One group of rows: the payload for ``HouseholdIn`` and where each payload path came from."""

    rows: list[int]
    payload: dict[str, Any]
    locations: dict[str, tuple[int, str]] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    @property
    def first_row(self) -> int:
        return self.rows[0]

    def locate(self, path: str) -> tuple[int, str]:
        """(row, header) of a payload path such as ``members[1].resident_id`` or ``assets.livestock[0].count``."""
        best = ""
        for known in self.locations:
            if (path == known or path.startswith(known + ".") or path.startswith(known + "[")) and len(known) > len(best):
                best = known
        if best:
            return self.locations[best]
        m = re.match(r"members\[(\d+)\]", path)
        if m and f"members[{m.group(1)}]" in self.locations:
            return self.locations[f"members[{m.group(1)}]"]
        return self.first_row, path or "户"


@dataclass
class ParsedRoster:
    """A read roster: ``households`` (groups of rows, each written or refused as a whole), ``errors`` (report
    lines of the rows that belong to no household), ``unassigned_rows`` (those rows' numbers),
    ``data_rows`` (non-empty rows below the header), ``headers`` (column key → header as written).
    Every data row is in exactly one household or in ``unassigned_rows``."""

    households: list[RosterHousehold]
    errors: list[RowError]
    data_rows: int
    headers: dict[str, str]
    unassigned_rows: list[int] = field(default_factory=list)


#: Outcomes of a household in an import; each is counted for households (``created``) and for their
#: people, one per row (``members_created``).
OUTCOMES = ("created", "updated", "unchanged", "invalid", "conflict")


def new_counts(rows_read: int = 0) -> dict[str, int]:
    """The counts of an import before any household is processed: every outcome for households and
    ``members_<outcome>``, ``rows_read``, ``rows_unassigned`` (rows in no household), ``rows_with_errors``
    (distinct rows named by a report line)."""
    return {**{o: 0 for o in OUTCOMES}, **{f"members_{o}": 0 for o in OUTCOMES},
            "rows_read": rows_read, "rows_unassigned": 0, "rows_with_errors": 0}


class RosterFormatError(Exception):
    """The file as a whole cannot be read (``code``: ROSTER_FORMAT, ROSTER_EMPTY, ROSTER_TOO_LARGE,
    ROSTER_MISSING_COLUMN)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# ------------------------------------------------------------------------------------------ reading

def _norm_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _header_key(raw: Any) -> tuple[Column | None, str]:
    """A header cell → (column, unit). ``房屋价值（万元）`` → (house_value, 万元); ``*姓名`` → (name, '')."""
    text = _norm_text(raw).replace("*", "").replace(" ", "")
    m = re.fullmatch(r"(.*?)(?:\((.*)\))?", text)
    base, unit = (m.group(1), m.group(2) or "") if m else (text, "")
    return _BY_NAME.get(base), unit


def read_rows(data: bytes, filename: str) -> list[tuple[int, list[Any]]]:
    """The non-empty rows of a CSV (UTF-8 with or without BOM, or GB18030 as Excel saves it in China)
    or XLSX file as ``(row number, cells)``. Raises :class:`RosterFormatError`."""
    if len(data) > MAX_BYTES:
        raise RosterFormatError("ROSTER_TOO_LARGE", f"文件超过 {MAX_BYTES // 1024 // 1024} MB (file too large)")
    name = (filename or "").lower()
    if name.endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        rows = _read_xlsx(data)
    elif name.endswith(".csv") or name.endswith(".txt") or not name:
        rows = _read_csv(data)
    else:
        raise RosterFormatError("ROSTER_FORMAT", "只支持 CSV 或 XLSX 文件 (only CSV and XLSX are supported)")
    out = [(n, cells) for n, cells in rows if any(_norm_text(c) for c in cells)]
    if len(out) > MAX_ROWS:
        raise RosterFormatError("ROSTER_TOO_LARGE", f"超过 {MAX_ROWS} 行 (more than {MAX_ROWS} rows)")
    return out


def _read_csv(data: bytes) -> list[tuple[int, list[Any]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterFormatError("ROSTER_FORMAT", "无法识别文件编码 (not UTF-8 or GB18030 text)")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        # a cell this product wrote as '=… (chalicelib.platform.csv_safe) reads back as =…
        return [(reader.line_num, [csv_safe.unescape(c) for c in row]) for row in reader]
    except csv.Error:
        raise RosterFormatError("ROSTER_FORMAT", "CSV 格式错误 (malformed CSV)") from None


def _read_xlsx(data: bytes) -> list[tuple[int, list[Any]]]:
    """The first worksheet's rows (values, formulas' cached results), read in streaming mode; a range of
    merged cells spanning several rows gives its value to every row of the range (in the range's first
    column): that is what a person reading the sheet sees, and the usual 花名册 merges ``户编号``
    (and household-level columns) down a household's rows."""
    try:
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds of errors for a broken file
        raise RosterFormatError("ROSTER_FORMAT", "无法读取 XLSX 文件 (unreadable XLSX file)") from None
    try:
        ws = wb.worksheets[0]
        rows = [list(row) for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    for min_col, min_row, _max_col, max_row in _merged_ranges(data):
        if max_row <= min_row or min_row > len(rows):
            continue
        anchor = rows[min_row - 1]
        value = anchor[min_col - 1] if min_col - 1 < len(anchor) else None
        for r in range(min_row + 1, min(max_row, len(rows)) + 1):
            row = rows[r - 1]
            if len(row) < min_col:
                row.extend([None] * (min_col - len(row)))
            if row[min_col - 1] is None:
                row[min_col - 1] = value
    return list(enumerate(rows, start=1))


_MERGE_CELL = re.compile(rb"""<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref\s*=\s*["']([A-Za-z0-9:$]+)["']""")


def _merged_ranges(data: bytes) -> list[tuple[int, int, int, int]]:
    """``(min_col, min_row, max_col, max_row)`` of every ``<mergeCell>`` of the workbook's first sheet.

    openpyxl's streaming reader does not expose merged cells (``ws.merged_cells`` exists only when the
    whole workbook is loaded into memory, several hundred MB for a 20,000-row roster), so the sheet part
    is located as ECMA-376 Part 1 defines it (workbook.xml's first ``<sheet>`` → its relationship target)
    and its ``<mergeCells>`` element, which follows ``<sheetData>`` (§18.3.1.99 ``worksheet``), is read
    from the text after the last ``sheetData>``: cell text cannot contain a raw ``<``, so only real tags
    match, and the 20,000-row sheet data is not parsed a second time. A part that cannot be followed
    yields no merges; the rows then read as if the merged cells were blank, which the layout rules
    already handle (a blank ``户编号`` on a member row continues the household above)."""
    import posixpath
    import zipfile

    from openpyxl.utils.cell import range_boundaries
    from openpyxl.xml.functions import fromstring

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            sheet = next(fromstring(z.read("xl/workbook.xml")).iter(f"{main}sheet"))
            rid = sheet.get(f"{rel_ns}id")
            rels = fromstring(z.read("xl/_rels/workbook.xml.rels"))
            target = next(r.get("Target") for r in rels if r.get("Id") == rid)
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            xml = z.read(path)
        tail = xml[xml.rfind(b"sheetData>") + 1:]
        return [range_boundaries(m.group(1).decode("ascii").replace("$", "")) for m in _MERGE_CELL.finditer(tail)]
    except Exception:  # noqa: BLE001 - any unreadable part means: no merges (see above)
        return []


# ------------------------------------------------------------------------------------------ parsing

def parse(data: bytes, filename: str, *, village_code: str) -> ParsedRoster:
    """Read a roster and group it into households (payloads for ``HouseholdIn`` with
    ``data_source`` set by the caller). Cell-level problems are reported per row; the household rules
    (ID check digits, one head, ...) are applied later by ``chalicelib.customers.domain.households.normalise``.
    Raises :class:`RosterFormatError` when the file as a whole is unusable."""
    rows = read_rows(data, filename)
    if not rows:
        raise RosterFormatError("ROSTER_EMPTY", "文件没有内容 (the file is empty)")
    header_at, columns = _find_header(rows)
    missing = [c.names[0] for c in COLUMNS if c.required and c.key not in {col.key for col, _, _ in columns.values()}]
    if missing:
        raise RosterFormatError("ROSTER_MISSING_COLUMN", f"缺少必需的列: {', '.join(missing)} (missing columns)")
    headers = {col.key: header for col, _, header in columns.values()}
    body = [(n, cells) for n, cells in rows if n > header_at]
    if not body:
        raise RosterFormatError("ROSTER_EMPTY", "没有数据行 (no data rows)")

    errors: list[RowError] = []
    cell_errors: dict[int, list[RowError]] = {}
    records: list[tuple[int, dict[str, Any]]] = []
    for n, cells in body:
        values: dict[str, Any] = {}
        for idx, (col, unit, header) in columns.items():
            raw = cells[idx] if idx < len(cells) else None
            try:
                value = _convert(col, unit, raw)
            except _CellError as exc:
                cell_errors.setdefault(n, []).append(RowError(n, header, exc.code, exc.message))
                values[col.key] = _INVALID
                continue
            if value is not None:
                values[col.key] = value
        records.append((n, values))

    _ids_mangled_by_excel(records, headers, cell_errors)
    groups, group_errors = _group(records, headers, errors)
    grouped = {n for g in groups for n, _ in g}
    unassigned = [n for n, _ in records if n not in grouped]
    for n in unassigned:  # rows that belong to no household keep their cell errors in the file-level list
        errors.extend(cell_errors.get(n, []))
    households = [_build(rows_, headers, village_code, cell_errors) for rows_ in groups]
    for hh in households:
        hh.errors.extend(group_errors.get(hh.first_row, []))
    _duplicates_across(households, headers)
    return ParsedRoster(households=households, errors=errors, data_rows=len(body), headers=headers,
                        unassigned_rows=unassigned)


_INVALID = object()


def _find_header(rows: list[tuple[int, list[Any]]]) -> tuple[int, dict[int, tuple[Column, str, str]]]:
    for n, cells in rows[:10]:
        found: dict[int, tuple[Column, str, str]] = {}
        for i, cell in enumerate(cells):
            col, unit = _header_key(cell)
            if col is not None and col.key not in {c.key for c, _, _ in found.values()}:
                found[i] = (col, unit, _norm_text(cell))
        if len(found) >= 3:
            return n, found
    raise RosterFormatError("ROSTER_FORMAT", "找不到表头行 (no header row with known column names in the first 10 rows)")


class _CellError(Exception):
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
    not_a_number = _CellError("NUMBER_FORMAT", "应为数字 (a number is expected)")
    if isinstance(raw, bool):
        raise not_a_number
    if isinstance(raw, (int, Decimal)):
        return Decimal(raw) * unit_multiplier
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise not_a_number
        return Decimal(format(raw, f".{EXCEL_DIGITS}g")) * unit_multiplier
    text = _norm_text(raw).replace(",", "").replace("，", "").replace(" ", "")
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
        raise _CellError("AMOUNT_FORMAT" if money else "NUMBER_FORMAT",
                         "不接受科学计数法 (如 1e5、1.2E+05)，请写出完整数字 (scientific notation is not accepted)")
    if not _PLAIN_NUMBER.fullmatch(text):
        if money and _LONG_NUMBER.fullmatch(text):
            raise _CellError("AMOUNT_FORMAT", "金额过大 (amount too large)")
        raise not_a_number
    return Decimal(text) * mult


def _amount(raw: Any, unit: str, *, may_be_negative: bool) -> Decimal:
    """A money cell → CNY with fen precision, by the money rule the API applies too
    (``chalicelib.platform.inputs.check_amount``). Refused, never rounded: more than two decimals after the
    unit conversion (``AMOUNT_PRECISION``: ``0.001`` is not ``0.00``); a negative asset, debt or expense
    (``AMOUNT_NEGATIVE``); scientific notation or a value too large for any amount (``AMOUNT_FORMAT``)."""
    value = _number(raw, unit_multiplier=_UNITS.get(unit, Decimal(1)), money=True)
    try:
        return check_amount(value, sign="any" if may_be_negative else "non_negative")
    except AmountRefused as exc:
        raise _CellError(exc.code, exc.message) from None


def _convert(col: Column, unit: str, raw: Any) -> Any:
    if raw is None or (isinstance(raw, str) and not _norm_text(raw)):
        return None
    if col.kind == "text":
        return _norm_text(raw)
    if col.kind == "id":
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            raise _CellError("ID_STORED_AS_NUMBER", _ID_AS_NUMBER)
        text = _norm_text(raw)
        if _EXPONENT.fullmatch(text) or _FLOAT_INTEGER.fullmatch(text):
            raise _CellError("ID_STORED_AS_NUMBER", _ID_AS_NUMBER)
        return text
    if col.kind == "phone":
        # an 11-digit mobile number fits a spreadsheet number exactly (< 2**53): a numeric cell is accepted
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        return _norm_text(raw)
    if col.kind == "date":
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        text = _norm_text(raw)
        m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
        try:
            if not m:
                raise ValueError
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise _CellError("DATE_FORMAT", "日期格式应为 YYYY-MM-DD (date expected)") from None
    if col.kind in ("word", "bool"):
        text = _norm_text(raw)
        words = col.words or {}
        key = text.lower() if col.kind == "bool" else text
        if key in words:
            return words[key]
        if text in words.values() and col.kind == "word":
            return text  # the English code itself
        raise _CellError("VALUE_UNKNOWN", f"不认识的取值，可填: {'/'.join(list(words)[:12])} (unknown value)")
    if col.kind in ("money", "net_money"):
        return _amount(raw, unit, may_be_negative=col.kind == "net_money")
    if col.kind == "number":
        return _number(raw)
    if col.kind == "livestock":
        return _livestock(_norm_text(raw))
    if col.kind == "list":
        return [p for p in re.split(r"[;；,，、\s]+", _norm_text(raw)) if p]
    raise AssertionError(col.kind)


_ID_AS_NUMBER = ("身份证号被 Excel 当作数字保存，末几位已变成 0；请把该列设置单元格格式为文本，再重新输入身份证号 "
                 "(the ID number was stored as a number and lost its last digits: format the column as text "
                 "and type the numbers again)")


def _ids_mangled_by_excel(records: list[tuple[int, dict[str, Any]]], headers: dict[str, str],
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
        values["resident_id"] = _INVALID
        cell_errors.setdefault(n, []).append(RowError(n, header, "ID_STORED_AS_NUMBER", _ID_AS_NUMBER))


def _livestock(text: str) -> list[dict[str, Any]]:
    out: dict[str, int] = {}
    for part in re.split(r"[;；,，、\s]+", text):
        if not part or part in ("无", "0"):
            continue
        m = re.fullmatch(r"([^\d:：]+)[:：]?(\d+)(头|只|匹|口)?", part)
        if not m:
            raise _CellError("NUMBER_FORMAT", "养殖应写成 品种+数量，如 肉牛5头;生猪20头 (kind and count expected)")
        kind = LIVESTOCK.get(m.group(1), "other")
        out[kind] = out.get(kind, 0) + int(m.group(2))
    return [{"kind": k, "count": v} for k, v in out.items()]


def _group(records: list[tuple[int, dict[str, Any]]], headers: dict[str, str], errors: list[RowError]
           ) -> tuple[list[list[tuple[int, dict[str, Any]]]], dict[int, list[RowError]]]:
    """Rows → households (the layout rules of the module docstring). Returns the groups and the
    group-level report lines by the group's first row; lines of rows that join no group go to ``errors``."""
    if "household_no" in headers:
        return _group_by_number(records, headers["household_no"], errors)
    groups: list[list[tuple[int, dict[str, Any]]]] = []
    for n, values in records:
        if values.get("relation") == "head" or (values.get("relation") is _INVALID and not groups):
            groups.append([(n, values)])
        elif groups:
            groups[-1].append((n, values))
        else:
            errors.append(RowError(n, headers.get("relation", "与户主关系"), "ROSTER_NO_HEAD",
                                   "户主行之前出现了成员行 (a member row before any head row)"))
    return groups, {}


def _group_by_number(records: list[tuple[int, dict[str, Any]]], header: str, errors: list[RowError]
                     ) -> tuple[list[list[tuple[int, dict[str, Any]]]], dict[int, list[RowError]]]:
    by_no: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    split: dict[str, list[RowError]] = {}
    above: str | None = None  # the household number of the row above
    refused_above: int | None = None  # or the row above was refused (its row number)
    for n, values in records:
        no = values.get("household_no")
        if not no:
            if values.get("relation") == "head":
                errors.append(RowError(n, header, "ROSTER_HEAD_WITHOUT_NUMBER",
                                       "户主行必须填写户编号 (a head row needs its own household number)"))
                above, refused_above = None, n
                continue
            if above is None:
                where = (f"上一行 (第 {refused_above} 行) 已被拒绝 (the row above was refused)" if refused_above
                         else "上方没有可接续的户 (no household above to continue)")
                errors.append(RowError(n, header, "ROSTER_NO_HOUSEHOLD", f"户编号为空，且{where}"))
                refused_above = refused_above or n
                continue
            no = above
        no = str(no)
        if no in by_no and no != above:
            first = by_no[no][0][0]
            split.setdefault(no, []).append(RowError(
                n, header, "ROSTER_HOUSEHOLD_NOT_CONTIGUOUS",
                f"与第 {first} 行是同一户编号，但中间隔着其他户；同一户的行须相邻，请检查是否重号 "
                "(rows of one household number must be adjacent: renumber or move them)"))
        by_no.setdefault(no, []).append((n, values))
        above, refused_above = no, None
    group_errors = {g[0][0]: split[no] for no, g in by_no.items() if no in split}
    return list(by_no.values()), group_errors


def _build(rows: list[tuple[int, dict[str, Any]]], headers: dict[str, str], village_code: str,
           cell_errors: dict[int, list[RowError]]) -> RosterHousehold:
    hh = RosterHousehold(rows=[n for n, _ in rows], payload={})
    hh.locations["members"] = (rows[0][0], headers.get("relation", "与户主关系"))
    rows = sorted(rows, key=lambda r: r[1].get("relation") != "head")  # head's household values win
    members: list[dict[str, Any]] = []
    household: dict[str, Any] = {}
    for n, values in rows:
        member: dict[str, Any] = {}
        i = len(members)
        hh.locations[f"members[{i}]"] = (n, headers.get("name", "姓名"))
        for key, value in values.items():
            col = next(c for c in COLUMNS if c.key == key)
            if value is _INVALID:
                continue
            if key == "household_no":  # the same on every row of the group (it is what groups them)
                household.setdefault("household_no", value)
                hh.locations.setdefault("household_no", (n, headers[key]))
                continue
            if col.household:
                path = PATHS[key]
                if path in household and household[path] != value:
                    hh.errors.append(RowError(n, headers[key], "ROSTER_CONFLICTING_VALUE",
                                              "同一户的两行填写了不同的户级数据 (rows of one household disagree)"))
                    continue
                household.setdefault(path, value)
                hh.locations.setdefault(path, (n, headers[key]))
            else:
                member[key] = value
                hh.locations[f"members[{i}].{key}"] = (n, headers[key])
        members.append(member)
    for n in hh.rows:
        hh.errors.extend(cell_errors.get(n, []))
    code = household.pop("village_code", None)
    if code is not None and code != village_code:
        at = hh.locations.get("village_code", (hh.first_row, "村代码"))
        hh.errors.append(RowError(at[0], at[1], "ROSTER_VILLAGE_MISMATCH",
                                  "村代码与导入的村不一致 (village code differs from the import's village)"))
    payload: dict[str, Any] = {"village_code": village_code, "members": members}
    for path, value in household.items():
        _set(payload, path, value)
    hh.payload = payload
    return hh


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for p in parts[:-1]:
        doc = doc.setdefault(p, {})
    doc[parts[-1]] = value


def _duplicates_across(households: list[RosterHousehold], headers: dict[str, str]) -> None:
    """The same resident ID in two households of one file: the later household is refused."""
    seen: dict[str, int] = {}
    for hh in households:
        ids = []
        for i, m in enumerate(hh.payload.get("members", [])):
            rid = m.get("resident_id")
            if isinstance(rid, str):
                ids.append((i, rid.upper()))
        clash = [(i, rid) for i, rid in ids if rid in seen]
        for i, rid in clash:
            row, header = hh.locate(f"members[{i}].resident_id")
            hh.errors.append(RowError(row, header, "MEMBER_DUPLICATE_IN_FILE",
                                      f"此身份证号已在第 {seen[rid]} 行出现 "
                                      "(the same resident ID appears in another household of this file)"))
        if not clash:
            for i, rid in ids:
                seen.setdefault(rid, hh.locate(f"members[{i}].resident_id")[0])


def report_errors(hh: RosterHousehold, field_errors: list[Any]) -> list[RowError]:
    """Map household-rule field errors (``members[1].resident_id`` ...) to report lines of this household."""
    out = []
    for fe in field_errors:
        row, header = hh.locate(fe.field)
        out.append(RowError(row, header, fe.code, fe.message))
    return out


def pydantic_errors(hh: RosterHousehold, exc: Any) -> list[RowError]:
    """Map a pydantic ``ValidationError`` of ``HouseholdIn`` to report lines (no input values; codes as the
    API gives them, ``chalicelib.platform.errors.pydantic_error_code``)."""
    from chalicelib.platform.errors import pydantic_error_code

    out = []
    for e in exc.errors():
        path = ""
        for part in e["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        row, header = hh.locate(path)
        out.append(RowError(row, header, pydantic_error_code(e["type"]), e["msg"]))
    return out

