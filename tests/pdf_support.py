"""Reading the PDFs the platform renders, for tests: text as a viewer extracts it, and the fonts with
whether each is embedded (pypdf, a PDF parser independent of reportlab, which writes them)."""
from __future__ import annotations

import io
from dataclasses import dataclass


@dataclass(frozen=True)
class PdfFont:
    name: str         # /BaseFont, e.g. ``AAAAAA+NotoSansSC-Regular`` (a subset carries a 6-letter tag)
    subtype: str      # /Subtype: /TrueType, /Type0, /Type1 ...
    embedded: bool    # the font program is in the file (/FontFile, /FontFile2 or /FontFile3)
    to_unicode: bool  # a /ToUnicode map lets viewers extract and search the text


def pdf_text(pdf: bytes) -> str:
    """The text of every page, as pypdf extracts it (lines joined by newlines)."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def pdf_fonts(pdf: bytes) -> list[PdfFont]:
    """Every font used by any page (by object, once), with its embedding."""
    from pypdf import PdfReader

    seen: dict[object, PdfFont] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = (page.get("/Resources") or {}).get_object().get("/Font") or {}
        for ref in fonts.get_object().values():
            font = ref.get_object()
            descriptor_owner = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descriptor_owner.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            key = (ref.idnum, ref.generation) if hasattr(ref, "idnum") else str(font.get("/BaseFont"))
            seen[key] = PdfFont(str(font.get("/BaseFont")), str(font.get("/Subtype")), embedded,
                                     "/ToUnicode" in font)
    return list(seen.values())
