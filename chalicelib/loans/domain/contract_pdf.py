"""Render a loan contract (借款合同) as PDF from a versioned template. Pure: bytes in, bytes out.

The template is the ``contract_template`` parameter document: ``title``, ``header``, ``parties``,
``clauses`` and ``footer`` strings with ``{placeholders}`` filled from ``fields``, and the schedule is
appended as a table. The text is set in the embedded font of :mod:`chalicelib.reference.pdf_fonts` (a
template's former ``font`` key is ignored: a font that is only named, not embedded, leaves the Chinese
text blank on a machine without it). Output is deterministic (``invariant=1``): the same template and
fields give the same bytes, hence the same SHA-256.

The wording of terms that the platform computes is generated here from the rules that compute them,
so the contract says what the schedule and the servicing really charge: :func:`interest_terms`
(schedule interest, :mod:`chalicelib.loans.domain.schedules`), :func:`penalty_terms` (penalty interest,
:mod:`chalicelib.loans.domain.servicing`) and :func:`account_terms` (where the money is paid and debited).
"""
from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

PAGE_MARGIN = 56

#: Unknown account (the core system resolves the borrower's settlement account from the household).
SETTLEMENT_ACCOUNT = "借款人在甲方开立的结算账户（账号以核心系统结算账户为准）"

_DAY_BASIS = {"ACT/360": "年利率÷360", "ACT/365": "年利率÷365", "30/360": "年利率÷360（每月按30日计）"}
_PERIOD_RATE = {1: ("月", "月利率", "，月利率=年利率÷12"), 3: ("季", "季利率", "，季利率=年利率÷4"),
                6: ("半年", "半年利率", "，半年利率=年利率÷2"), 12: ("年", "年利率", "")}


class _Fields(dict):
    def __missing__(self, key: str) -> str:  # an unknown placeholder renders visibly instead of failing
        return "{" + key + "}"


def daily_rate_terms(day_count: str) -> str:
    """``日利率=年利率÷360`` for the day count (``ACT/360``, ``ACT/365``, ``30/360``) of
    :func:`chalicelib.loans.domain.schedules.year_fraction`."""
    return "日利率=" + _DAY_BASIS[day_count]


def interest_terms(method: str, frequency_months: int, day_count: str) -> str:
    """How the schedule charges interest, in contract words (the rule of
    :func:`chalicelib.loans.domain.schedules.amortize`): a regular period of ``m`` months is charged
    ``balance × annual rate × m / 12`` whatever its number of days (monthly: 年利率÷12, so a 31-day
    month costs the same as a 30-day one); a broken first period (a fixed repayment day) and a bullet
    loan (利随本清) accrue on the actual days at the daily rate of ``day_count``. ``method`` is a
    :data:`chalicelib.loans.domain.schedules.METHODS` name; raises KeyError for an unknown frequency or day
    count (the products check refuses those first)."""
    from chalicelib.loans.domain import schedules

    daily = daily_rate_terms(day_count)
    if method == schedules.BULLET:
        return f"按实际天数计息，到期利随本清：利息=借款本金×实际天数×日利率，{daily}"
    period, rate, formula = _PERIOD_RATE[frequency_months]
    base = "借款本金" if method == schedules.FLAT else "期初本金余额"
    return (f"按{period}计收利息：每个完整还款期的利息={base}×{rate}{formula}，与当期实际天数无关；"
            f"首期自放款日起至首个还款日止不足或超过一个完整还款期的，首期利息按实际天数计算，{daily}")


def penalty_terms(uplift_pct: Any, grace_days: int, day_count: str) -> str:
    """How penalty interest (罚息) accrues, in contract words (the rules of
    :mod:`chalicelib.loans.domain.servicing` and :func:`chalicelib.loans.domain.repayment.penalty_interest`): daily on
    overdue principal at the contract rate × (1 + uplift) by the day count; nothing within the grace
    period, past it counted from the due date; no interest on overdue interest."""
    basis = _DAY_BASIS[day_count].replace("年利率", "罚息年利率")
    grace = (f"逾期未超过宽限期{grace_days}日的不计罚息，超过的自到期日起计收；" if grace_days
             else "自到期日起计收；")
    return (f"对逾期本金按合同利率上浮{uplift_pct}%（罚息年利率=合同年利率×(1+{uplift_pct}%)）按实际逾期天数计收罚息，"
            f"罚息日利率={basis}；{grace}对逾期利息不计收复利")


def account_terms(target: Mapping[str, Any]) -> str:
    """The account a transfer goes to, masked (:func:`chalicelib.platform.identity.mask_account_no`):
    ``target`` is a disbursement target (:func:`chalicelib.loans.domain.products.disbursement_target`): a
    payee's account (``name``, ``bank_name``, ``account_no``) or the borrower's settlement account, whose
    number the platform does not hold (:data:`SETTLEMENT_ACCOUNT`)."""
    from chalicelib.platform.identity import mask_account_no

    if target.get("account_no"):
        holder = f"{target.get('name') or ''}在{target.get('bank_name') or '收款银行'}开立的账户"
        return f"{holder}（账号 {mask_account_no(str(target['account_no']))}）"
    return SETTLEMENT_ACCOUNT


def render(template: Mapping[str, Any], fields: Mapping[str, Any], schedule_rows: Sequence[Sequence[str]]) -> bytes:
    """The contract PDF. ``schedule_rows``: ``[number, due date, principal, interest, payment]`` strings."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from chalicelib.reference.pdf_fonts import register, wrap

    font = register()
    values = _Fields({k: str(v) for k, v in fields.items()})
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4, invariant=1, initialFontName=font)
    pdf.setTitle(str(template.get("title", "")))
    width, height = A4
    text_width = width - 2 * PAGE_MARGIN
    y = height - PAGE_MARGIN

    def line(text: str, size: int = 11, gap: int = 18, x: float = PAGE_MARGIN) -> None:
        nonlocal y
        if y < PAGE_MARGIN + gap:
            pdf.showPage()
            y = height - PAGE_MARGIN
        pdf.setFont(font, size)
        pdf.drawString(x, y, text)
        y -= gap

    def paragraph(text: str, size: int = 11, gap: int = 18) -> None:
        for part in wrap(text, font, size, text_width):
            line(part, size, gap)

    title = str(template.get("title", ""))
    pdf.setFont(font, 18)
    pdf.drawCentredString(width / 2, y, title)
    y -= 30
    paragraph(str(template.get("header", "")).format_map(values), 10)
    for party in template.get("parties", []):
        paragraph(str(party).format_map(values))
    y -= 6
    for clause in template.get("clauses", []):
        paragraph(str(clause).format_map(values))
    y -= 6
    line("附件：还款计划", 12, 20)
    for row in [("期数", "还款日", "本金", "利息", "合计")] + [tuple(r) for r in schedule_rows]:
        for col, cell in enumerate(row):
            pdf.setFont(font, 9)
            pdf.drawString(PAGE_MARGIN + col * 95, y, str(cell))
        y -= 14
        if y < PAGE_MARGIN + 40:
            pdf.showPage()
            y = height - PAGE_MARGIN
    y -= 10
    paragraph(str(template.get("footer", "")).format_map(values), 10)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ["", "拾", "佰", "仟"]
_SECTIONS = ["", "万", "亿"]


def amount_in_words(amount: Any) -> str:
    """Chinese capital amount (大写金额) of a CNY amount, e.g. 50000.50 → 伍万元伍角整... (角/分 precise)."""
    from decimal import ROUND_HALF_UP, Decimal

    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    yuan = int(value)
    jiao, fen = divmod(int((value - yuan) * 100), 10)
    out = ""
    if yuan == 0:
        out = "零"
    section_index = 0
    need_zero = False
    while yuan > 0:
        section = yuan % 10000
        part = ""
        zero = False
        for i in range(4):
            digit = section % 10
            if digit == 0:
                zero = bool(part)
            else:
                part = _DIGITS[digit] + _UNITS[i] + ("零" if zero else "") + part
                zero = False
            section //= 10
        if part:
            out = part + _SECTIONS[section_index] + ("零" if need_zero and out and not out.startswith("零") else "") + out
            need_zero = yuan % 10000 < 1000
        else:
            need_zero = bool(out)
        yuan //= 10000
        section_index += 1
    out += "元"
    if jiao == 0 and fen == 0:
        return out + "整"
    if jiao:
        out += _DIGITS[jiao] + "角"
    elif fen:
        out += "零"
    if fen:
        out += _DIGITS[fen] + "分"
    return out
