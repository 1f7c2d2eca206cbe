"""The data export: one row per control, hazard fields repeated, as .xlsx and CSV."""

import csv
import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from hazardlog.datafiles import escape_csv_cell, unescape_csv_cell
from hazardlog.exports import export, export_filename
from hazardlog.models import Cause, Control, ControlKind, ControlType, ImplementationStatus
from hazardlog.spreadsheet import ControlRowResource, export_data
from hazardlog.workbook.celltext import from_cell
from tests import factories

HEADERS = [
    "Hazard Number",
    "Hazard Name",
    "Hazard Description",
    "Potential Clinical Impact",
    "Hazard Type",
    "Possible Causes",
    "Initial Severity",
    "Initial Likelihood",
    "Initial Risk",
    "Control Number",
    "Control",
    "Control Kind",
    "Control Type",
    "Causes Answered",
    "Control Owner",
    "Implementation Status",
    "Evidence",
    "Evidence Link",
    "Residual Severity",
    "Residual Likelihood",
    "Residual Risk",
    "Summary of Actions/Notes",
    "Owner",
    "Status",
    "Status Reason",
    "Date Raised",
]


def xlsx_rows(content: bytes) -> list[dict]:
    wb = openpyxl.load_workbook(io.BytesIO(content))
    ws = wb.worksheets[0]
    header, *rows = [[from_cell(cell.value) for cell in row] for row in ws.iter_rows()]
    assert header == HEADERS
    return [dict(zip(header, row, strict=True)) for row in rows]


def csv_rows(content: bytes) -> list[dict]:
    assert content.startswith(b"\xef\xbb\xbf")  # a byte order mark, so Excel reads UTF-8
    reader = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    header, *rows = list(reader)
    assert header == HEADERS
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.fixture
def hazard(log):
    hazard = factories.make_hazard(log, "H1", raised_on=date(2026, 1, 5))
    control = hazard.controls.get(number=2)
    control.owner, control.implementation_status = "Supplier", ImplementationStatus.VERIFIED
    control.evidence, control.evidence_url = "Test report TR-9", "https://example.org/tr-9"
    control.save()
    return hazard


def test_one_row_per_control_with_the_hazard_repeated(log, hazard):
    factories.make_hazard(log, "H10")
    rows = xlsx_rows(export_data(log, "xlsx"))
    assert [(row["Hazard Number"], row["Control Number"]) for row in rows] == [
        ("H1", 1),
        ("H1", 2),
        ("H10", 1),
        ("H10", 2),
    ]
    first, second = rows[0], rows[1]
    assert first["Hazard Name"] == second["Hazard Name"] == "Wrong patient record displayed"
    assert first["Possible Causes"] == "1) Cause 1\n2) Cause 2"
    assert (first["Control Kind"], first["Control Type"], first["Causes Answered"]) == ("Existing", None, "1")
    assert second == second | {
        "Control": "Additional design control",
        "Control Kind": "Additional",
        "Control Type": "Design",
        "Causes Answered": "1, 2",
        "Control Owner": "Supplier",
        "Implementation Status": "Verified",
        "Evidence": "Test report TR-9",
        "Evidence Link": "https://example.org/tr-9",
        "Initial Severity": "Major",
        "Initial Likelihood": "Medium",
        "Initial Risk": 3,
        "Residual Severity": "Major",
        "Residual Likelihood": "Low",
        "Residual Risk": 3,
        "Status": "Open",
    }
    assert first["Date Raised"].date() == date(2026, 1, 5)


def test_a_hazard_without_controls_gets_one_row_with_empty_control_fields(log):
    hazard = factories.make_hazard(log, "H1", initial=None, residual=None)
    for control in hazard.controls.all():
        control.withdrawn = True
        control.save()
    (row,) = xlsx_rows(export_data(log, "xlsx"))
    assert row["Hazard Number"] == "H1"
    control_columns = ["Control Number", "Control", "Control Kind", "Control Type", "Causes Answered", "Evidence"]
    assert [row[column] for column in control_columns] == [None] * len(control_columns)
    assert row["Initial Risk"] is None


def test_withdrawn_controls_and_causes_are_left_out(log, hazard):
    cause = Cause.objects.get(hazard=hazard, number=2)
    cause.withdrawn = True
    cause.save()
    withdrawn = Control.objects.create(
        hazard=hazard, number=3, description="Old", kind=ControlKind.ADDITIONAL, control_type=ControlType.TEST
    )
    withdrawn.withdrawn = True
    withdrawn.save()
    rows = xlsx_rows(export_data(log, "xlsx"))
    assert [row["Control Number"] for row in rows] == [1, 2]
    assert rows[1]["Causes Answered"] == "1"
    assert rows[1]["Possible Causes"] == "1) Cause 1"


def test_the_xlsx_keeps_formula_like_text_and_control_characters_as_text(log):
    text = '=HYPERLINK("http://evil")\x0b and more'
    factories.make_hazard(log, "H1", description=text)
    content = export_data(log, "xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    cell = ws.cell(2, HEADERS.index("Hazard Description") + 1)
    assert (from_cell(cell.value), cell.data_type) == (text, "s")
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:Z{ws.max_row}"


def test_the_csv_escapes_formula_like_cells_as_owasp_advises(log):
    payloads = ["=1+1", "+44 20", "-2", "@SUM(A1)", "\tTab", "\rCR", "'=already quoted", "'plain quote", "ok"]
    for n, text in enumerate(payloads, 1):
        factories.make_hazard(log, f"H{n}", description=text)
    rows = csv_rows(export_data(log, "csv"))
    descriptions = [row["Hazard Description"] for row in rows[::2]]  # two controls per hazard
    assert descriptions == [
        "'=1+1",
        "'+44 20",
        "'-2",
        "'@SUM(A1)",
        "'\tTab",
        "'\rCR",
        "''=already quoted",
        "'plain quote",
        "ok",
    ]
    assert [unescape_csv_cell(text) for text in descriptions] == payloads
    assert rows[0]["Initial Risk"] == "3"


def test_every_csv_cell_is_quoted(log, hazard):
    first_line = export_data(log, "csv").decode("utf-8-sig").splitlines()[1]
    assert first_line.startswith('"H1","Wrong patient record displayed",')


@given(st.text())
def test_csv_escaping_is_undone_exactly(text):
    assert unescape_csv_cell(escape_csv_cell(text)) == text
    assert not escape_csv_cell(text).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_an_unknown_format_is_refused(log):
    with pytest.raises(ValueError, match="Unknown data export format 'pdf'"):
        export_data(log, "pdf")


def test_export_names_the_file_after_the_log_version_and_date(matrix):
    log = factories.make_log(matrix=matrix, name="ePMA: Ward/Theatre", version="1.2")
    today = timezone.localdate().isoformat()
    assert export_filename(log, "nhs") == f"epma-wardtheatre-dcb0129-hazard-log-v1.2-{today}.xlsx"
    assert export_filename(log, "data-xlsx") == f"epma-wardtheatre-dcb0129-hazard-log-data-v1.2-{today}.xlsx"
    assert export_filename(log, "csv") == f"epma-wardtheatre-dcb0129-hazard-log-data-v1.2-{today}.csv"
    log.version = ""
    assert export_filename(log, "nhs") == f"epma-wardtheatre-dcb0129-hazard-log-{today}.xlsx"


def test_export_gives_content_name_and_type_for_each_kind(log, hazard):
    nhs, name, content_type = export(log, "nhs")
    assert openpyxl.load_workbook(io.BytesIO(nhs)).sheetnames[2] == "Hazard Log"
    assert name.endswith(".xlsx") and content_type.endswith("spreadsheetml.sheet")
    content, name, content_type = export(log, "csv")
    assert csv_rows(content)[0]["Hazard Number"] == "H1"
    assert (name[-4:], content_type) == (".csv", "text/csv; charset=utf-8")
    with pytest.raises(ValueError, match="Unknown export 'pdf'"):
        export(log, "pdf")


def test_the_resource_exports_a_queryset_of_controls_as_the_admin_does(log, hazard, django_assert_max_num_queries):
    factories.make_hazard(log, "H2")
    with django_assert_max_num_queries(8):
        dataset = ControlRowResource().export(queryset=Control.objects.filter(hazard__log=log))
    assert dataset.headers == HEADERS
    assert len(dataset) == 4


@pytest.mark.parametrize(("label", "read"), [("csv", csv_rows), ("xlsx", xlsx_rows)])
def test_the_admin_exports_controls_with_the_same_resource(log, admin_client, label, read):
    factories.make_hazard(log, "H1", description="=1+1")
    url = reverse("admin:hazardlog_control_export")
    form = admin_client.get(url).context["form"]
    chosen = next(value for value, text in form.fields["format"].choices if text == label)
    data = {"format": chosen, "resource": 0} | {
        name: "on" for name in form.fields if name.startswith("controlrowresource_")
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    rows = read(response.content)
    assert [row["Hazard Number"] for row in rows] == ["H1", "H1"]
    assert rows[0]["Hazard Description"] == ("'=1+1" if label == "csv" else "=1+1")
