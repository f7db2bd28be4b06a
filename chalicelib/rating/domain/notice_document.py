"""The public notice of a village credit list (整村授信公示名单) as CSV and PDF bytes.

Pure: takes the rows from :func:`chalicelib.rating.domain.village_credit.notice_rows` and the campaign's
facts, returns bytes. The PDF embeds its font (:mod:`chalicelib.reference.pdf_fonts`, Noto Sans SC), so
it shows the same text on any machine, with or without Chinese fonts. The table is laid out by
:func:`table_layout`: fixed column widths that together fill the A4 text width, every cell wrapped
by character to its column (a long name or roster number takes a second line instead of running into
the next column).
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from chalicelib.rating.domain.village_credit import NOTICE_COLUMNS

#: Page geometry (points, 72 per inch): A4 (210 mm wide) with 15 mm margins.
PAGE_WIDTH = 210 * 72 / 25.4
MARGIN = 15 * 72 / 25.4
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN
#: Table text size and the padding reportlab's Table puts left and right of a cell's text (points).
TABLE_FONT_SIZE = 9
CELL_PADDING = 6
#: Share of the text width per column of :data:`NOTICE_COLUMNS` (序号, 村民小组, 户编号, 户主姓名, 身份证号,
#: 信用等级, 拟授信额度): the ID column is wide enough for an 18-character masked number on one line.
COLUMN_SHARES = (0.07, 0.12, 0.12, 0.16, 0.26, 0.11, 0.16)


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
    through :mod:`chalicelib.platform.csv_safe` (a head's name is text a client typed)."""
    from chalicelib.platform import csv_safe

    buf = io.StringIO()
    w = csv_safe.writer(buf, lineterminator="\n")
    w.writerow(NOTICE_COLUMNS)
    for r in rows:
        w.writerow(r)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def title(header: NoticeHeader) -> str:
    return f"{header.county_name}{header.township_name}{header.village_name} 整村授信公示名单"


def table_layout(rows: Sequence[Sequence[str]], font: str, size: float = TABLE_FONT_SIZE,
                 frame_width: float = FRAME_WIDTH) -> tuple[list[float], list[list[str]]]:
    """Column widths (points, summing to ``frame_width``) and the table's cells (head row first) with
    every cell's text wrapped to its column: each line is at most ``width − 2 × CELL_PADDING`` wide in
    ``font`` at ``size`` points, lines joined by ``\\n`` (reportlab's Table draws them one under another)."""
    from chalicelib.reference.pdf_fonts import wrap

    widths = [frame_width * share for share in COLUMN_SHARES]
    cells = []
    for row in [list(NOTICE_COLUMNS)] + [list(r) for r in rows]:
        cells.append(["\n".join(wrap(str(cell), font, size, widths[i] - 2 * CELL_PADDING))
                      for i, cell in enumerate(row)])
    return widths, cells


def render_pdf(header: NoticeHeader, rows: Sequence[Sequence[str]]) -> bytes:
    """A4 PDF: title, notice period, the table (:data:`NOTICE_COLUMNS`, laid out by :func:`table_layout`),
    objection note; the font is embedded (subset)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from chalicelib.reference.pdf_fonts import register

    font = register()
    h1 = ParagraphStyle("h1", fontName=font, fontSize=16, leading=22, alignment=1)
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=15, wordWrap="CJK")
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN, title=title(header), author=header.institution_name,
                            subject=header.campaign_id, invariant=1, initialFontName=font)
    story = [
        Paragraph(title(header), h1),
        Spacer(1, 12),
        Paragraph(f"行政区划代码：{header.village_code}　　授信机构：{header.institution_name}", body),
        Paragraph(f"公示期：{header.notice_from} 至 {header.notice_until}　　"
                  f"参评农户 {header.rated_count} 户，拟授信 {len(rows)} 户", body),
        Paragraph("公示期内如有异议，请向本村客户经理或授信机构反映。身份证号已作脱敏处理；"
                  "户编号为本村农户花名册中的编号，按村民小组、户编号排列。", body),
        Spacer(1, 12),
    ]
    widths, cells = table_layout(rows, font)
    table = Table(cells, repeatRows=1, colWidths=widths)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), TABLE_FONT_SIZE),
        ("LEADING", (0, 0), (-1, -1), TABLE_FONT_SIZE + 3),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING), ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("ALIGN", (6, 1), (6, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    story.append(table)
    story += [Spacer(1, 18), Paragraph(f"{header.institution_name}　　编号 {header.campaign_id}", body)]
    doc.build(story)
    return buf.getvalue()
