"""Small workbooks for the import tests, built in memory."""

import io
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from hazardlog import nhs_matrix
from hazardlog.models import Cause, Control, Hazard, HazardLog, ImportRecord, RiskAssessment
from hazardlog.snapshot import MatrixData
from hazardlog.workbook import layout

NHS_WORKBOOKS = Path(__file__).resolve().parents[2] / "shared" / "nhs-workbooks"
needs_nhs_workbooks = pytest.mark.skipif(
    not NHS_WORKBOOKS.is_dir(), reason=f"the real NHS workbooks are not at {NHS_WORKBOOKS}"
)

HEADERS = [column.header for column in layout.HAZARD_COLUMNS]
GROUP_ROW = [column.group or None for column in layout.HAZARD_COLUMNS]
SHEET_XML = "xl/worksheets/sheet1.xml"


def nhs_matrix_data() -> MatrixData:
    """The NHS matrix as the plain data the reader takes (no database needed)."""
    likelihoods = [name for _, name, _ in nhs_matrix.LIKELIHOODS]  # least likely first
    return MatrixData(
        name=nhs_matrix.NAME,
        version=nhs_matrix.VERSION,
        severities=tuple((name, text) for _, name, text in nhs_matrix.SEVERITIES),
        likelihoods=tuple((name, text) for _, name, text in nhs_matrix.LIKELIHOODS),
        ratings=tuple(nhs_matrix.RATINGS),
        grid=tuple(tuple(nhs_matrix.GRID[name]) for name in likelihoods),
    )


def hazard_row(reference="H1", **values) -> list:
    """A canonical A–S row; `values` by column key override the defaults."""
    row = {
        "reference": reference,
        "name": f"Hazard {reference}",
        "description": "The system shows another patient's record.",
        "clinical_impact": "Treatment based on the wrong record.",
        "causes": "1) Wrong patient selected\n2) Stale cache",
        "existing_controls": "1) Patient banner\n2) Cache expiry",
        "initial_severity": "Major",
        "initial_likelihood": "Low",
        "initial_rating": 3,
        "design_controls": "1) Confirm the patient\n2) Confirm the patient",
        "residual_severity": "Major",
        "residual_likelihood": "Very low",
        "residual_rating": 2,
        "status": "Open",
    } | values
    return [row.get(column.key) for column in layout.HAZARD_COLUMNS]


def workbook(rows, *, headers=HEADERS, group_row=None, sheet="Hazard Log", above=(), edit=None) -> bytes:
    """An .xlsx with one hazard sheet: optional rows above, an optional group row, the headers, the rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for line in above:
        ws.append(line)
    if group_row:
        ws.append(group_row)
    ws.append(headers)
    for row in rows:
        ws.append(row)
    if edit:
        edit(wb, ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rewrite(content: bytes, member: str, change) -> bytes:
    """The same zip with one member's text passed through `change`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == member:
                data = change(data.decode()).encode()
            target.writestr(info, data)
    return out.getvalue()


def set_cell_xml(content: bytes, coordinate: str, xml: str) -> bytes:
    """Replace cell `coordinate` of the first sheet by raw XML (to fake what Excel saves)."""
    pattern = re.compile(rf'<c r="{coordinate}"[^>]*?(/>|>.*?</c>)', re.S)
    return rewrite(content, SHEET_XML, lambda text: pattern.sub(lambda m: xml, text, count=1))


def zip_of(members: dict[str, bytes | str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def database_counts() -> dict:
    """What an import may write, counted, to show that a refused one wrote nothing."""
    counts = {model.__name__: model.objects.count() for model in (HazardLog, Hazard, Cause, Control, RiskAssessment)}
    counts["links"] = Control.causes.through.objects.count()
    counts["history"] = sum(m.history.count() for m in (HazardLog, Hazard, Cause, Control, RiskAssessment))
    counts["applied imports"] = ImportRecord.objects.filter(status="applied").count()
    return counts
