"""Hostile workbooks for the upload bounds, written as XML straight into the zip: openpyxl would take
minutes to write a million rows. Used by tests/test_upload_bounds.py and bench/upload_bounds.py."""

import io
import zipfile
from collections.abc import Iterable

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def _content_types(sheets: int, extra: str = "") -> str:
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{SHEET_TYPE}"/>' for n in range(1, sheets + 1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{PACKAGE}/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f"{overrides}{extra}</Types>"
    )


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def row(number: int, *texts: str) -> str:
    return (
        f'<row r="{number}">' + "".join(cell(f"{chr(65 + i)}{number}", t) for i, t in enumerate(texts) if t) + "</row>"
    )


HEADER = row(1, "Hazard Number", "Hazard Name", "Possible Causes")


def xlsx(sheets: dict[str, Iterable[str]], *, hidden=(), extra=None, content_types: str = "") -> bytes:
    """A workbook whose sheets hold the given <row> XML (streamed into the zip), `hidden` ones hidden; `extra`
    parts added as they are, declared by `content_types` (<Override> elements)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _content_types(len(sheets), content_types))
        archive.writestr(
            "_rels/.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{PACKAGE}/relationships"><Relationship Id="rId1" '
            f'Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        states = {title: ' state="hidden"' if title in hidden else "" for title in sheets}
        entries = "".join(
            f'<sheet name="{title}" sheetId="{n}" r:id="rId{n}"{states[title]}/>'
            for n, title in enumerate(sheets, start=1)
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
            f"<sheets>{entries}</sheets></workbook>",
        )
        links = "".join(
            f'<Relationship Id="rId{n}" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(sheets) + 1)
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{PACKAGE}/relationships">{links}</Relationships>',
        )
        for n, rows in enumerate(sheets.values(), start=1):
            with archive.open(f"xl/worksheets/sheet{n}.xml", "w") as part:
                part.write(f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><sheetData>'.encode())
                chunk = []
                for xml in rows:
                    chunk.append(xml)
                    if len(chunk) == 10_000:
                        part.write("".join(chunk).encode())
                        chunk = []
                part.write(("".join(chunk) + "</sheetData></worksheet>").encode())
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def name_only_rows(count: int) -> bytes:
    """The issue's 353 KB file: a header, then rows holding only a hazard name (no number)."""
    return xlsx({"Hazard Log": [HEADER, *(row(n, "", "x") for n in range(2, count + 2))]})


def styled_blank_rows(count: int) -> bytes:
    """A header, then rows with a style and nothing else (what formatting a whole column leaves)."""
    return xlsx({"Hazard Log": [HEADER, *(f'<row r="{n}" s="1" customFormat="1"/>' for n in range(2, count + 2))]})


def styled_blank_cells(rows: int, columns: int) -> bytes:
    """Rows of empty styled cells."""

    def blank(n):
        return f'<row r="{n}">' + "".join(f'<c r="{chr(65 + i % 26)}{n}" s="1"/>' for i in range(columns)) + "</row>"

    return xlsx({"Hazard Log": [HEADER, *(blank(n) for n in range(2, rows + 2))]})


def hazards(count: int, causes: str = "1) Wrong patient") -> bytes:
    """`count` consumer-layout hazards (number, name, causes) that read without errors."""
    return xlsx({"Hazard Log": [HEADER, *(row(n, f"H{n}", f"Hazard {n}", causes) for n in range(2, count + 2))]})


def junk_parts(count: int) -> bytes:
    return xlsx(
        {"Hazard Log": [HEADER, row(2, "H1", "Wrong patient")]}, extra={f"junk/{n}.xml": "<a/>" for n in range(count)}
    )
