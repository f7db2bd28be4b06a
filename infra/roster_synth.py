"""Synthetic village rosters for examples, tests, the benchmark and the demo seed.

Every person is invented: names from common surnames and given-name characters, resident ID numbers
generated to GB 11643-1999 (real Jilin county address codes, plausible birth dates, the sequence
code's parity matching the gender, a correct ISO 7064 MOD 11-2 check digit), mobile numbers of the
right shape. Figures follow the plausibility ranges of the shared ``farmer_household_schema.json``
(estimates for Jilin: contract land 10-40 mu, maize, cattle, migrant wages ...). Deterministic per seed.

``python -m infra.roster_synth`` rewrites ``docs/examples/roster_220122102202.csv`` (the showcase village: the demo),
``docs/examples/roster_220122102202_bad.csv`` and ``docs/examples/roster_220122102225.csv`` (the village of the
README's walk-through through the API, :func:`walkthrough_roster`).
"""
from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.platform import csv_safe
from chalicelib.platform.identity import resident_id_check_char

#: Address codes: mostly 农安县 natives; spouses from neighbouring counties.
NATIVE = "220122"
NEIGHBOURS = ("220182", "220183", "220112", "220106", "220113", "220721")
SURNAMES = "王李张刘赵孙于杨陈马高徐郭姜曲齐邹丛孟范隋宋韩姚常"
GIVEN = "国志春秋玉凤桂兰淑丽金海军明德福成永文平建华英霞芳红艳伟强东宝山林庆忠贵荣"
OCCUPATIONS = ("务农", "务农", "务农", "养殖", "外出务工", "个体经营", "农机手", "学生", "在家")
COLUMNS = ("户编号", "与户主关系", "姓名", "身份证号", "性别", "联系电话", "职业", "劳动能力", "文化程度", "健康状况",
           "村民小组", "住址", "住房面积(平方米)", "房屋价值(元)", "承包地面积(亩)", "流转入土地(亩)", "养殖品种及数量",
           "牲畜价值(元)", "农机具价值(元)", "交通工具价值(元)", "存款(元)", "信用社股金(元)", "银行贷款(元)",
           "民间借款(元)", "种植业纯收入(元)", "养殖业纯收入(元)", "经营纯收入(元)", "务工收入(元)", "补贴收入(元)",
           "生产支出(元)", "生活支出(元)", "其他支出(元)", "家电家具价值(元)", "主要作物", "村委评议", "履约情况",
           "是否黑名单", "纬度", "经度", "采集日期")
GROUPS = ("一组", "二组", "三组", "四组", "五组", "六组")
#: Approximate location of 哈拉海镇, 农安县 (for synthetic collection points only).
CENTRE = (Decimal("44.62"), Decimal("124.93"))


@dataclass
class Person:
    relation: str  # Chinese word as on a roster (户主, 配偶, 儿子, ...)
    name: str
    resident_id: str
    gender: str  # 男 / 女
    born: date
    phone: str = ""
    occupation: str = ""
    labour: str = ""
    education: str = ""
    health: str = "健康"


@dataclass
class SynthHousehold:
    number: str
    members: list[Person]
    values: dict[str, Any] = field(default_factory=dict)  # household-level columns by header


def make_resident_id(rng: random.Random, address: str, born: date, male: bool, used: set[str]) -> str:
    """A valid 18-character resident ID number not in ``used`` (added to it)."""
    while True:
        seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
        first17 = f"{address}{born:%Y%m%d}{seq:03d}"
        number = first17 + resident_id_check_char(first17)
        if number not in used:
            used.add(number)
            return number


def _phone(rng: random.Random) -> str:
    prefix = rng.choice(("130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "155", "158",
                         "159", "186", "187", "188", "189", "199"))
    return prefix + f"{rng.randrange(0, 10 ** 8):08d}"


def _name(rng: random.Random, surname: str | None = None) -> str:
    return (surname or rng.choice(SURNAMES)) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _born(rng: random.Random, start_year: int, end_year: int) -> date:
    start = date(start_year, 1, 1)
    return start + timedelta(days=rng.randrange(0, (date(end_year, 12, 31) - start).days))


def _education(rng: random.Random, born: date) -> str:
    if born.year < 1960:
        return rng.choice(("文盲", "小学", "小学", "初中"))
    if born.year < 1985:
        return rng.choice(("小学", "初中", "初中", "初中", "高中"))
    return rng.choice(("初中", "高中", "中专", "大专", "本科"))


def synth_households(n: int, *, seed: int = 220122102202, village_name: str = "二道沟村",
                     township: str = "哈拉海镇", today: date = date(2026, 11, 1)) -> list[SynthHousehold]:
    """``n`` synthetic households of one village (deterministic for ``seed``)."""
    rng = random.Random(seed)
    used: set[str] = set()
    out = []
    for k in range(1, n + 1):
        surname = rng.choice(SURNAMES)
        head_male = rng.random() < 0.85
        head_born = _born(rng, 1956, 1994)
        head = Person("户主", _name(rng, surname), make_resident_id(rng, NATIVE, head_born, head_male, used),
                      "男" if head_male else "女", head_born, phone=_phone(rng),
                      occupation=rng.choice(("务农", "务农", "养殖", "个体经营", "农机手")),
                      labour="全劳力" if today.year - head_born.year < 60 else "半劳力",
                      education=_education(rng, head_born))
        members = [head]
        if rng.random() < 0.85:
            s_born = head_born + timedelta(days=rng.randrange(-5 * 365, 5 * 365))
            addr = NATIVE if rng.random() < 0.7 else rng.choice(NEIGHBOURS)
            members.append(Person("配偶", _name(rng), make_resident_id(rng, addr, s_born, not head_male, used),
                                  "女" if head_male else "男", s_born,
                                  phone=_phone(rng) if rng.random() < 0.6 else "",
                                  occupation=rng.choice(("务农", "务农", "在家", "外出务工")),
                                  labour="全劳力" if today.year - s_born.year < 60 else "半劳力",
                                  education=_education(rng, s_born)))
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
            c_born = head_born + timedelta(days=rng.randrange(20 * 365, 34 * 365))
            if c_born >= today:
                continue
            male = rng.random() < 0.5
            age = today.year - c_born.year
            members.append(Person("儿子" if male else "女儿", _name(rng, surname),
                                  make_resident_id(rng, NATIVE, c_born, male, used), "男" if male else "女", c_born,
                                  phone=_phone(rng) if age >= 18 and rng.random() < 0.7 else "",
                                  occupation="学生" if age < 19 else rng.choice(("外出务工", "务农", "个体经营")),
                                  labour="无劳力" if age < 16 else ("半劳力" if age < 19 else "全劳力"),
                                  education=("初中" if age < 16 else "高中") if age < 19 else _education(rng, c_born)))
        if head_born.year > 1975 and rng.random() < 0.3:
            p_born = head_born - timedelta(days=rng.randrange(22 * 365, 32 * 365))
            male = rng.random() < 0.4
            members.append(Person("父亲" if male else "母亲", _name(rng, surname if male else None),
                                  make_resident_id(rng, NATIVE, p_born, male, used), "男" if male else "女", p_born,
                                  occupation="在家", labour="无劳力" if today.year - p_born.year >= 70 else "半劳力",
                                  education=_education(rng, p_born),
                                  health=rng.choice(("健康", "一般", "慢性病"))))
        land = Decimal(rng.randrange(8, 41))
        transferred = Decimal(rng.choice((0, 0, 0, 0, 10, 20, 50, 120, 300)))
        cattle = rng.choice((0, 0, 0, 2, 5, 8, 15))
        pigs = rng.choice((0, 0, 0, 0, 10, 30))
        livestock = ";".join(s for s in (f"肉牛{cattle}头" if cattle else "", f"生猪{pigs}头" if pigs else "") if s)
        wages = rng.choice((0, 0, 12000, 24000, 36000, 48000)) * sum(1 for m in members if m.occupation == "外出务工")
        crops = int((land + transferred) * rng.randrange(450, 800))
        group = rng.choice(GROUPS)
        values = {
            "村民小组": group,
            "住址": f"吉林省长春市农安县{township}{village_name}{group}",
            "住房面积(平方米)": rng.choice((60, 72, 80, 90, 100, 110, 120, 140)),
            "房屋价值(元)": rng.randrange(3, 21) * 10000,
            "承包地面积(亩)": land, "流转入土地(亩)": transferred, "养殖品种及数量": livestock,
            "牲畜价值(元)": cattle * rng.randrange(10000, 15001, 500) + pigs * 1500,
            "农机具价值(元)": rng.choice((0, 0, 15000, 30000, 80000, 250000 if transferred > 100 else 40000)),
            "交通工具价值(元)": rng.choice((0, 8000, 30000, 60000, 100000)),
            "存款(元)": rng.randrange(0, 11) * 10000,
            "信用社股金(元)": rng.choice((0, 0, 1000, 2000, 5000, 10000)),
            "银行贷款(元)": rng.choice((0, 0, 0, 30000, 50000, 100000)),
            "民间借款(元)": rng.choice((0, 0, 0, 0, 10000, 20000)),
            "种植业纯收入(元)": crops, "养殖业纯收入(元)": cattle * 2500 + pigs * 300,
            "经营纯收入(元)": rng.choice((0, 0, 0, 20000, 40000)) if head.occupation == "个体经营" else 0,
            "务工收入(元)": wages, "补贴收入(元)": int(land * 110),
            "生产支出(元)": int((land + transferred) * rng.randrange(550, 800)),
            "生活支出(元)": rng.randrange(15, 41) * 1000, "其他支出(元)": rng.choice((0, 2000, 5000, 10000)),
            "家电家具价值(元)": rng.randrange(5, 31) * 1000,
            "主要作物": rng.choice(("玉米", "玉米", "玉米", "玉米;大豆", "水稻", "玉米;杂粮")),
            "村委评议": rng.choices(("优秀", "较好", "一般", "差"), weights=(30, 50, 17, 3))[0],
            "履约情况": rng.choices(("正常", "无借贷", "轻微逾期", "严重逾期"), weights=(55, 35, 8, 2))[0],
            "是否黑名单": "否",
            "纬度": (CENTRE[0] + Decimal(rng.randrange(-200, 200)) / 10000).quantize(Decimal("0.000001")),
            "经度": (CENTRE[1] + Decimal(rng.randrange(-200, 200)) / 10000).quantize(Decimal("0.000001")),
            "采集日期": (today - timedelta(days=rng.randrange(1, 60))).isoformat(),
        }
        out.append(SynthHousehold(number=f"{k:04d}", members=members, values=values))
    return out


def rows(households: list[SynthHousehold]) -> list[list[Any]]:
    """Roster rows (header first): one row per person, household values on the head's row."""
    table: list[list[Any]] = [list(COLUMNS)]
    for hh in households:
        for m in hh.members:
            person = {"户编号": hh.number, "与户主关系": m.relation, "姓名": m.name, "身份证号": m.resident_id,
                      "性别": m.gender, "联系电话": m.phone, "职业": m.occupation, "劳动能力": m.labour,
                      "文化程度": m.education, "健康状况": m.health}
            if m.relation == "户主":
                person.update(hh.values)
            table.append([person.get(c, "") for c in COLUMNS])
    return table


def to_csv(households: list[SynthHousehold]) -> bytes:
    """UTF-8 CSV with BOM (opens correctly in Excel), cells through :mod:`chalicelib.platform.csv_safe`."""
    buf = io.StringIO(newline="")
    csv_safe.writer(buf, lineterminator="\n").writerows(rows(households))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(households: list[SynthHousehold]) -> bytes:
    """XLSX with the resident-ID and phone columns formatted as text."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "农户信息"
    for r in rows(households):
        ws.append([str(v) if isinstance(v, Decimal) else v for v in r])
    for col in ("D", "F"):
        for cell in ws[col]:
            cell.number_format = "@"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


#: What the deliberately bad example must produce: (row, column header, code). Households 0001, 0006
#: and 0011 are valid; every other household has one problem and must not be written.
BAD_EXAMPLE_EXPECTED = (
    (5, "身份证号", "ID_CHECK_DIGIT"),
    (6, "与户主关系", "HOUSEHOLD_HEAD_COUNT"),
    (8, "身份证号", "ID_LEGACY_15"),
    (9, "房屋价值(元)", "NUMBER_FORMAT"),
    (14, "身份证号", "MEMBER_DUPLICATE_IN_FILE"),
    (16, "性别", "MEMBER_GENDER_MISMATCH"),
    (17, "与户主关系", "VALUE_UNKNOWN"),
    (19, "联系电话", "PHONE_FORMAT"),
)


def bad_example() -> bytes:
    """A roster of 11 households with good and deliberately bad rows (see :data:`BAD_EXAMPLE_EXPECTED`)."""
    pool = [h for h in synth_households(60, seed=7) if len(h.members) >= 2 and h.members[1].relation == "配偶"]
    chosen = pool[:11]
    for i, hh in enumerate(chosen, start=1):
        hh.number = f"{i:04d}"
        hh.members = hh.members[:1] if i in (4, 9) else hh.members[:2]
    table = rows(chosen)
    col = {name: i for i, name in enumerate(COLUMNS)}
    rid, rel, sex, phone = col["身份证号"], col["与户主关系"], col["性别"], col["联系电话"]
    # table index = spreadsheet row - 1 (row 1 is the header)
    bad_check = table[4][rid]
    table[4][rid] = bad_check[:-1] + ("0" if bad_check[-1] != "0" else "1")  # row 5: wrong check digit
    table[5][rel] = "儿子"  # row 6: household 0003 has no head any more
    table[7][rid] = "220122680927693"  # row 8: 15-digit legacy number
    table[8][col["房屋价值(元)"]] = "十二万"  # row 9: not a number
    table[13][rid] = table[2][rid]  # row 14: the spouse of household 0001 again
    table[15][sex] = "男" if table[15][sex] == "女" else "女"  # row 16: gender contradicts the ID
    table[16][rel] = "邻居"  # row 17: not a relation word
    table[18][phone] = "12345"  # row 19: not a mobile number
    buf = io.StringIO(newline="")
    csv_safe.writer(buf, lineterminator="\n").writerows(table)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


#: The README walk-through's roster: households of 创业村 (220122102225, 哈拉海镇, 农安县).
WALKTHROUGH_HOUSEHOLDS = 20


def walkthrough_roster() -> bytes:
    """The roster of the README's walk-through village (``infra.seed.WALKTHROUGH_VILLAGE``), as a CSV file."""
    return to_csv(synth_households(WALKTHROUGH_HOUSEHOLDS, seed=220122102225, village_name="创业村"))


def main() -> None:
    from pathlib import Path

    from infra.template import ROOT

    out = ROOT / "docs" / "examples"
    out.mkdir(parents=True, exist_ok=True)
    households = synth_households(30)
    Path(out / "roster_220122102202.csv").write_bytes(to_csv(households))
    print(f"wrote {out / 'roster_220122102202.csv'} ({sum(len(h.members) for h in households)} people)")
    Path(out / "roster_220122102202_bad.csv").write_bytes(bad_example())
    print(f"wrote {out / 'roster_220122102202_bad.csv'} (good and deliberately bad rows)")
    Path(out / "roster_220122102225.csv").write_bytes(walkthrough_roster())
    print(f"wrote {out / 'roster_220122102225.csv'} ({WALKTHROUGH_HOUSEHOLDS} households of the README walk-through)")


if __name__ == "__main__":
    main()
