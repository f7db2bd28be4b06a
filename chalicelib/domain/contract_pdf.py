"""Render a loan contract (借款合同) as PDF from a versioned template. Pure: bytes in, bytes out.

The template is the ``contract_template`` parameter document: ``title``, ``header``, ``parties``,
``clauses`` and ``footer`` strings with ``{placeholders}`` filled from ``fields``, and the schedule is
appended as a table. Chinese text uses reportlab's built-in Adobe CID font ``STSong-Light`` (no font
file is shipped or embedded). Output is deterministic (``invariant=1``): the same template and fields
give the same bytes, hence the same SHA-256.
"""
from __future__ import annotations

import io
from typing import Any, Mapping, Sequence

PAGE_MARGIN = 56


class _Fields(dict):
    def __missing__(self, key: str) -> str:  # an unknown placeholder renders visibly instead of failing
        return "{" + key + "}"


def _wrap(text: str, font: str, size: int, width: float) -> list[str]:
    """Split ``text`` into lines no wider than ``width`` points (Chinese has no spaces: wrap by character)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, current = [], ""
    for ch in text:
        if current and stringWidth(current + ch, font, size) > width:
            lines.append(current)
            current = ""
        current += ch
    return lines + [current]


def render(template: Mapping[str, Any], fields: Mapping[str, Any], schedule_rows: Sequence[Sequence[str]]) -> bytes:
    """The contract PDF. ``schedule_rows``: ``[number, due date, principal, interest, payment]`` strings."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = template.get("font", "STSong-Light")
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    values = _Fields({k: str(v) for k, v in fields.items()})
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4, invariant=1)
    pdf.setTitle(str(template.get("title", "")))
    width, height = A4
    y = height - PAGE_MARGIN

    def line(text: str, size: int = 11, gap: int = 18, x: float = PAGE_MARGIN) -> None:
        nonlocal y
        if y < PAGE_MARGIN + gap:
            pdf.showPage()
            y = height - PAGE_MARGIN
        pdf.setFont(font, size)
        pdf.drawString(x, y, text)
        y -= gap

    title = str(template.get("title", ""))
    pdf.setFont(font, 18)
    pdf.drawCentredString(width / 2, y, title)
    y -= 30
    line(str(template.get("header", "")).format_map(values), 10)
    for party in template.get("parties", []):
        line(str(party).format_map(values))
    y -= 6
    text_width = width - 2 * PAGE_MARGIN
    for clause in template.get("clauses", []):
        for part in _wrap(str(clause).format_map(values), font, 11, text_width):
            line(part)
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
    for part in _wrap(str(template.get("footer", "")).format_map(values), font, 10, text_width):
        line(part, 10)
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
