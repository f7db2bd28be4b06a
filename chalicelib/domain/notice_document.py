"""The public notice of a village credit list (整村授信公示名单) as CSV and PDF bytes.

Pure: takes the rows from :func:`chalicelib.domain.village_credit.notice_rows` and the campaign's
facts, returns bytes. The PDF uses reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1), so
Chinese text needs no font file in the Lambda package; PDF viewers supply the glyphs.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Sequence

from chalicelib.domain.village_credit import NOTICE_COLUMNS

FONT = "STSong-Light"


@dataclass(frozen=True)
class NoticeHeader:
    """Facts printed above the list."""

    campaign_id: str
    village_code: str
    village_name: str
    township_name: str
    county_name: str
    institution_name: str
    notice_from: str
    notice_until: str
    household_count: int
    rated_count: int


def render_csv(header: NoticeHeader, rows: Sequence[Sequence[str]]) -> bytes:
    """UTF-8 with BOM (so spreadsheet programs on Windows open the Chinese text correctly); every cell
    through :mod:`chalicelib.csv_safe` (a head's name is text a client typed)."""
    from chalicelib import csv_safe

    buf = io.StringIO()
    w = csv_safe.writer(buf, lineterminator="\n")
    w.writerow(NOTICE_COLUMNS)
    for r in rows:
        w.writerow(r)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def title(header: NoticeHeader) -> str:
    return f"{header.county_name}{header.township_name}{header.village_name} 整村授信公示名单"


def render_pdf(header: NoticeHeader, rows: Sequence[Sequence[str]]) -> bytes:
    """A4 PDF: title, notice period, the table (head, masked ID, grade, proposed limit), objection note."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    h1 = ParagraphStyle("h1", fontName=FONT, fontSize=16, leading=22, alignment=1)
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title=title(header), author=header.institution_name,
                            subject=header.campaign_id)
    story = [
        Paragraph(title(header), h1),
        Spacer(1, 4 * mm),
        Paragraph(f"行政区划代码：{header.village_code}　　授信机构：{header.institution_name}", body),
        Paragraph(f"公示期：{header.notice_from} 至 {header.notice_until}　　"
                  f"参评农户 {header.rated_count} 户，拟授信 {len(rows)} 户", body),
        Paragraph("公示期内如有异议，请向本村客户经理或授信机构反映。身份证号已作脱敏处理。", body),
        Spacer(1, 4 * mm),
    ]
    data = [list(NOTICE_COLUMNS)] + [list(r) for r in rows]
    table = Table(data, repeatRows=1, colWidths=[12 * mm, 28 * mm, 45 * mm, 20 * mm, 32 * mm, 43 * mm])
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("ALIGN", (4, 1), (4, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    story.append(table)
    story += [Spacer(1, 6 * mm), Paragraph(f"{header.institution_name}　　编号 {header.campaign_id}", body)]
    doc.build(story)
    return buf.getvalue()
