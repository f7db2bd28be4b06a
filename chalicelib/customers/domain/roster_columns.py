"""The village roster's vocabulary (花名册): the columns (header names accepted, value kinds, units), the value
words, the payload path of each household column, and the shapes of a read roster and its report lines. Pure
domain code. The template is documented in ``docs/roster_template.md``; the rules of reading a file are
:mod:`chalicelib.customers.domain.roster`'s."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

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
BY_NAME = {n: c for c in COLUMNS for n in c.names}
UNITS = {"元": Decimal(1), "万元": Decimal(10000), "": Decimal(1)}

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


# ------------------------------------------------------------------------------------------ header cells

def norm_text(value: Any) -> str:
    """A cell as text: NFKC-normalised and trimmed (an integral float without its ``.0``; ``None`` → ``""``)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def header_key(raw: Any) -> tuple[Column | None, str]:
    """A header cell → (column, unit). ``房屋价值（万元）`` → (house_value, 万元); ``*姓名`` → (name, '')."""
    text = norm_text(raw).replace("*", "").replace(" ", "")
    m = re.fullmatch(r"(.*?)(?:\((.*)\))?", text)
    base, unit = (m.group(1), m.group(2) or "") if m else (text, "")
    return BY_NAME.get(base), unit
