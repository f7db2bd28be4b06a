"""Synthetic but plausible farmer households of a Jilin village, for demos, tests and benchmarks.

Deterministic for a seed. Ranges follow the shared reference ``farmer_household_schema.json``
(marked *estimate* there: plausibility bounds, not statistics): 1-6 persons, house 3-20 万元, some
livestock and machinery, deposits 0-10 万元, credit-union shares 0-1 万元, net income 3-10 万元 a year,
debts 0-20 万元. Resident ID numbers are well-formed (GB 11643-1999 check character) with the
village's county as address code; they are made up and belong to nobody.

Two shapes:

* :func:`household_in`: what a client sends (``chalicelib.customers.domain.households.HouseholdIn``: full
  resident IDs), used for roster files and, with a ``household_id``, as the rating domain's input;
* :func:`store_households`: writes them filed (``status``) through the customers subsystem's repository, for
  a running stack when the import is not under test (the stored item has one owner: no second shape here).
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

SURNAMES = ("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = "国建春秋明华军平立文志永海玉凤兰英桂芳秀丽红梅霞艳敏静玲宝山林成德福贵发财喜庆祥胜利强伟刚勇杰磊峰波"


def _name(rng: random.Random, surname: str | None = None) -> str:
    return (surname or rng.choice(SURNAMES)) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def resident_id(county_code: str, born: date, seq: int, male: bool) -> str:
    """A well-formed 18-character resident ID (sequence parity: odd = male)."""
    from chalicelib.platform.identity import resident_id_check_char

    seq = seq % 1000
    if (seq % 2 == 1) != male:
        seq = (seq + 1) % 1000
    first17 = f"{county_code}{born:%Y%m%d}{seq:03d}"
    return first17 + resident_id_check_char(first17)


def _money(rng: random.Random, lo: int, hi: int, *, zero_share: float = 0.0, step: int = 100) -> Decimal:
    if zero_share and rng.random() < zero_share:
        return Decimal("0.00")
    return Decimal(rng.randrange(lo // step, hi // step + 1) * step).quantize(Decimal("0.01"))


def _born(rng: random.Random, today: date, lo: int, hi: int) -> date:
    return today - timedelta(days=rng.randint(lo * 365 + 1, hi * 365 - 1))


def household_in(village_code: str, n: int, rng: random.Random, *, today: date) -> dict[str, Any]:
    """One household as a client sends it (full resident IDs, no ids assigned)."""
    county = village_code[:6]
    surname = rng.choice(SURNAMES)
    head_age = rng.choices([rng.randint(24, 39), rng.randint(40, 55), rng.randint(56, 64), rng.randint(66, 75)],
                           weights=[25, 45, 22, 8])[0]
    head_born = _born(rng, today, head_age, head_age + 1)
    head_male = rng.random() < 0.85
    members = [{"relation": "head", "name": _name(rng, surname), "gender": "male" if head_male else "female",
                "birth_date": head_born.isoformat(),
                "resident_id": resident_id(county, head_born, n * 7 + 1, head_male),
                "labour_capacity": "full" if head_age < 60 else "partial"}]
    size = rng.choices([1, 2, 3, 4, 5, 6], weights=[6, 28, 26, 24, 12, 4])[0]
    if size >= 2:
        spouse_born = _born(rng, today, max(20, head_age - 5), head_age + 3)
        members.append({"relation": "spouse", "name": _name(rng), "gender": "female" if head_male else "male",
                        "birth_date": spouse_born.isoformat(),
                        "resident_id": resident_id(county, spouse_born, n * 7 + 2, not head_male),
                        "labour_capacity": rng.choice(["full", "full", "partial"])})
    for k in range(size - 2):
        if head_age > 45 and k == 0 and rng.random() < 0.4:
            born, rel, cap = _born(rng, today, head_age + 20, head_age + 30), "parent", "partial"
        else:
            age = rng.randint(max(1, head_age - 40), max(2, head_age - 20))
            born, rel = _born(rng, today, age, age + 1), "child"
            cap = "full" if age >= 18 else "none"
        male = rng.random() < 0.5
        members.append({"relation": rel, "name": _name(rng, surname if rel == "child" else None),
                        "gender": "male" if male else "female", "birth_date": born.isoformat(),
                        "resident_id": resident_id(county, born, n * 7 + 3 + k, male), "labour_capacity": cap})
    large = rng.random() < 0.12  # 种粮大户 / family farm
    land = Decimal(rng.randint(8, 40) + (rng.randint(50, 400) if large else 0)).quantize(Decimal("0.01"))
    assets = {"house_area_m2": Decimal(rng.randint(60, 150)), "house_value": _money(rng, 30000, 200000),
              "contracted_land_mu": land,
              "transferred_in_land_mu": Decimal(rng.randint(30, 300) if large else 0).quantize(Decimal("0.01")),
              "livestock_value": _money(rng, 5000, 300000, zero_share=0.55),
              "machinery_value": _money(rng, 10000, 400000 if large else 50000, zero_share=0.3),
              "vehicles_value": _money(rng, 5000, 150000, zero_share=0.4),
              "deposits": _money(rng, 1000, 100000, zero_share=0.2),
              "credit_union_shares": _money(rng, 500, 15000, zero_share=0.35)}
    liabilities = {"bank_loans": _money(rng, 10000, 200000, zero_share=0.6),
                   "informal_borrowing": _money(rng, 2000, 50000, zero_share=0.75)}
    income = {"crops": _money(rng, 15000, 150000 if large else 60000), "livestock": _money(rng, 2000, 60000,
                                                                                            zero_share=0.5),
              "business": _money(rng, 5000, 80000, zero_share=0.8), "wages": _money(rng, 8000, 50000, zero_share=0.4),
              "subsidies": _money(rng, 500, 5000)}
    expenses = {"production": _money(rng, 3000, 30000), "living": _money(rng, 10000, 40000),
                "other": _money(rng, 0, 10000, zero_share=0.5)}
    return {"village_code": village_code, "village_group": f"{rng.randint(1, 8)}组", "members": members,
            "assets": assets, "liabilities": liabilities, "income": income, "expenses": expenses,
            "committee_assessment": rng.choices(["excellent", "good", "fair", "poor"], weights=[30, 45, 20, 5])[0],
            "repayment_record": rng.choices(["good", "none", "minor_late", "bad"], weights=[50, 35, 12, 3])[0],
            "blacklisted": rng.random() < 0.01}


def village_households_in(village_code: str, count: int, *, seed: int = 42,
                          today: date | None = None) -> list[dict[str, Any]]:
    """``count`` households of one village (deterministic for ``seed``)."""
    rng = random.Random(f"{village_code}:{seed}")
    today = today or date(2026, 1, 1)
    return [household_in(village_code, n, rng, today=today) for n in range(1, count + 1)]


def store_households(households: list[tuple[str, dict[str, Any]]], *, status: str = "verified",
                     actor_id: str = "seed") -> list[dict[str, Any]]:
    """Write :func:`household_in` households under the given ids, filed in ``status``, through the customers
    subsystem's repository (``chalicelib.customers.data.households.write_for_system``: the one owner of the stored item,
    with its person index and audit records), for a running stack when the import is not under test. Returns
    the stored items."""
    from chalicelib.customers.data import households as repo

    return repo.write_for_system(households, status=status, actor_id=actor_id,
                                 reason="synthetic households (infra.synthetic)")


# ------------------------------------------------------------------------------------------ roster files

ROSTER_HEADER = ("户编号", "与户主关系", "姓名", "身份证号", "性别", "劳动能力", "村民小组", "住房面积(平方米)",
                 "房屋价值(元)", "承包地面积(亩)", "流转入土地(亩)", "牲畜价值(元)", "农机具价值(元)", "交通工具价值(元)",
                 "存款(元)", "信用社股金(元)", "银行贷款(元)", "民间借款(元)", "种植业纯收入(元)", "养殖业纯收入(元)",
                 "经营纯收入(元)", "务工收入(元)", "补贴收入(元)", "生产支出(元)", "生活支出(元)", "其他支出(元)",
                 "村委评议", "履约情况", "是否黑名单")
_REL = {"head": "户主", "spouse": "配偶", "parent": ("父亲", "母亲"), "child": ("儿子", "女儿")}
_LAB = {"full": "全劳力", "partial": "半劳力", "none": "无劳力"}
_ASSESS = {"excellent": "优秀", "good": "较好", "fair": "一般", "poor": "差"}
_REPAY = {"good": "正常", "none": "无借贷", "minor_late": "轻微逾期", "bad": "严重逾期"}


def roster_csv(households: list[dict[str, Any]]) -> bytes:
    """A roster file (CSV, UTF-8 with BOM, the customers subsystem's template: docs/roster_template.md)
    of :func:`household_in` households; ``户编号`` is the household's position (0001, 0002, ...). Cells are
    written through :mod:`chalicelib.platform.csv_safe` like every CSV of the product."""
    import io

    from chalicelib.platform import csv_safe

    buf = io.StringIO()
    w = csv_safe.writer(buf, lineterminator="\n")
    w.writerow(ROSTER_HEADER)
    for n, h in enumerate(households, 1):
        a, li, inc, ex = h["assets"], h["liabilities"], h["income"], h["expenses"]
        for k, m in enumerate(h["members"]):
            rel = _REL[m["relation"]]
            if isinstance(rel, tuple):
                rel = rel[0] if m["gender"] == "male" else rel[1]
            row = [f"{n:04d}", rel, m["name"], m["resident_id"], "男" if m["gender"] == "male" else "女",
                   _LAB[m["labour_capacity"]]]
            if k == 0:
                money = [a["house_value"], a["contracted_land_mu"], a["transferred_in_land_mu"], a["livestock_value"],
                         a["machinery_value"], a["vehicles_value"], a["deposits"], a["credit_union_shares"],
                         li["bank_loans"], li["informal_borrowing"], inc["crops"], inc["livestock"],
                         inc["business"], inc["wages"], inc["subsidies"], ex["production"], ex["living"], ex["other"]]
                row += [h.get("village_group", ""), str(a["house_area_m2"]), *(str(v) for v in money),
                        _ASSESS[h["committee_assessment"]], _REPAY[h["repayment_record"]],
                        "是" if h["blacklisted"] else "否"]
            else:
                row += [""] * (len(ROSTER_HEADER) - len(row))
            w.writerow(row)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
