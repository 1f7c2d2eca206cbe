"""The admin's import of the data export: a CSO exports the data file, edits the control columns, and a staff
user imports it back in the Django admin (hazardlog.admin.ControlAdmin, hazardlog.spreadsheet).

Every file here is written by our own exporter and read by the admin through django.test.Client."""

import csv
import io
import re
import zipfile

import openpyxl
import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse

from hazardlog.admin import ControlAdmin
from hazardlog.admin_uploads import DatabaseStorage
from hazardlog.models import (
    AdminImportUpload,
    Control,
    ControlKind,
    ControlType,
    Hazard,
    ImplementationStatus,
)
from hazardlog.spreadsheet import export_data
from hazardlog.workbook.celltext import to_cell
from tests import factories

IMPORT_URL = reverse("admin:hazardlog_control_import")
CONFIRM_URL = reverse("admin:hazardlog_control_process_import")
FORMATS = {"xlsx": "0", "csv": "1"}  # the import form's format choices, in ControlAdmin.import_formats order


def history_rows() -> int:
    """Every history row of every tracked hazard-log model (the causes links' history included)."""
    return sum(
        model.objects.count()
        for model in apps.get_app_config("hazardlog").get_models()
        if model.__name__.startswith("Historical")
    )


def upload(client, log, content: bytes, name: str, fmt: str | None = None):
    fmt = fmt or name.rsplit(".", 1)[-1]
    file = io.BytesIO(content)
    file.name = name
    return client.post(IMPORT_URL, {"log": log.pk, "format": FORMATS[fmt], "resource": "0", "import_file": file})


def confirm(client, preview):
    form = preview.context["confirm_form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    return client.post(CONFIRM_URL, data, follow=True)


def problems(response) -> list[str]:
    """The import page's list of row problems, as the person importing reads them."""
    result = response.context["result"]
    found = [str(error.error) for error in result.base_errors]
    for row in result.invalid_rows:
        for messages in row.error_dict.values():
            found.extend(messages)
    for _, errors in result.row_errors():
        found.extend(str(error.error) for error in errors)
    return found


def form_errors(response) -> list[str]:
    return response.context["form"].errors.get("import_file", [])


# Editing an exported file as a person would -------------------------------------------------------


def edit_xlsx(content: bytes, changes: dict[tuple[int, str], object], append: list[dict] | None = None) -> bytes:
    """Set cells by (sheet row, header); append rows given as {header: value}."""
    wb = openpyxl.load_workbook(io.BytesIO(content))
    ws = wb.worksheets[0]
    headers = [cell.value for cell in ws[1]]
    for (row, header), value in changes.items():
        cell = ws.cell(row, headers.index(header) + 1)
        cell.value = to_cell(value) if isinstance(value, str) else value
        if isinstance(value, str):
            cell.data_type = "s"  # text, even when it starts with "="
    for values in append or []:
        ws.append([values.get(header) for header in headers])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_table(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def csv_content(table: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(table)
    return out.getvalue().encode("utf-8-sig")


# Fixtures -------------------------------------------------------------------------------------------


@pytest.fixture
def hazards(log):
    """H1 and H2, each with an existing control 1 (answers cause 1) and an additional design control 2
    (answers causes 1 and 2), and H3 without controls."""
    h1 = factories.make_hazard(log, "H1")
    h2 = factories.make_hazard(log, "H2")
    h3 = factories.make_hazard(log, "H3", initial=None, residual=None)
    for control in h3.controls.all():
        control.withdrawn, control.withdrawn_reason = True, "Not needed"
        control.save()
    return h1, h2, h3


def control(hazard, number) -> Control:
    return Control.objects.get(hazard=hazard, number=number)


# Round trips ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_reimporting_an_unedited_export_changes_nothing(admin_client, log, hazards, fmt):
    h1 = hazards[0]
    # Formula-like and control-character text in both hazard and control columns must come back exactly.
    h1.description = "=SUM(1)\x0b-2"
    h1.save()
    c2 = control(h1, 2)
    c2.owner, c2.evidence = '=HYPERLINK("x")', "@risk\r\nline two"
    c2.save()
    content = export_data(log, fmt)
    before, revision = history_rows(), Hazard.objects.get(pk=h1.pk).revision

    preview = upload(admin_client, log, content, f"data.{fmt}")
    assert problems(preview) == []
    assert [row.import_type for row in preview.context["result"].rows] == ["skip"] * 5
    done = confirm(admin_client, preview)

    assert [str(m) for m in done.context["messages"]] == [
        "Import finished: 0 new, 0 updated, 0 deleted and 5 skipped controls."
    ]
    assert history_rows() == before
    assert Hazard.objects.get(pk=h1.pk).revision == revision
    assert (control(h1, 2).owner, control(h1, 2).evidence) == ('=HYPERLINK("x")', "@risk\r\nline two")


def test_an_edited_xlsx_is_previewed_without_writing_then_confirmed_with_user_and_reason(
    admin_client, admin_user, log, hazards
):
    h1 = hazards[0]
    content = export_data(log, "xlsx")
    # Sheet row 3 is H1's control 2.
    edited = edit_xlsx(
        content,
        {
            (3, "Control Owner"): "Deploying trust",
            (3, "Implementation Status"): "verified",  # any case
            (3, "Evidence"): "=Test report TR-9",
            (3, "Evidence Link"): "https://example.org/tr-9",
            (3, "Causes Answered"): "2",
        },
    )
    before, revision = history_rows(), Hazard.objects.get(pk=h1.pk).revision
    other = control(hazards[1], 2).history.count()

    preview = upload(admin_client, log, edited, "ePMA data.xlsx")

    assert problems(preview) == []
    rows = preview.context["result"].rows
    assert [row.import_type for row in rows] == ["skip", "update", "skip", "skip", "skip"]
    page = preview.content.decode()
    changed = rows[1].diff  # one cell per imported column
    assert (changed[6], changed[7]) == ("<ins>Deploying trust</ins>", "<del>Proposed</del> → <ins>Verified</ins>")
    assert "<td><del>Proposed</del> → <ins>Verified</ins></td>" in page
    assert "1 changed" in " ".join(page.split())
    assert history_rows() == before
    assert control(h1, 2).owner == ""
    assert AdminImportUpload.objects.count() == 1  # kept for the confirm, in the database

    done = confirm(admin_client, preview)

    assert [str(m) for m in done.context["messages"]] == [
        "Import finished: 0 new, 1 updated, 0 deleted and 4 skipped controls."
    ]
    c2 = control(h1, 2)
    assert (c2.owner, c2.implementation_status, c2.evidence, c2.evidence_url) == (
        "Deploying trust",
        ImplementationStatus.VERIFIED,
        "=Test report TR-9",
        "https://example.org/tr-9",
    )
    assert [cause.number for cause in c2.causes.all()] == [2]
    latest = c2.history.first()
    assert (latest.history_user, latest.history_change_reason) == (admin_user, "Admin import of ePMA data.xlsx")
    assert [cause.cause.number for cause in latest.causes.all()] == [2]  # the causes' history too
    # The hazard's revision moves, so an editor opened before the import cannot save over it.
    hazard = Hazard.objects.get(pk=h1.pk)
    assert hazard.revision > revision
    assert hazard.history.first().history_change_reason == "Admin import of ePMA data.xlsx"
    assert control(hazards[1], 2).history.count() == other  # other controls untouched
    assert AdminImportUpload.objects.count() == 0


def test_a_csv_round_trip_keeps_formula_like_text(admin_client, log, hazards):
    h1 = hazards[0]
    h1.actions = "=SUM(1)"
    h1.save()
    c1 = control(h1, 1)
    c1.evidence = "'=already quoted"
    c1.save()
    table = csv_table(export_data(log, "csv"))
    header = table[0]
    assert table[1][header.index("Summary of Actions/Notes")] == "'=SUM(1)"  # escaped in the file
    table[2][header.index("Control Owner")] = "'=SUM(1)"  # as a person types it, escaped, in Excel
    table[2][header.index("Implementation Status")] = "Implemented"

    preview = upload(admin_client, log, csv_content(table), "data.csv")
    assert problems(preview) == []
    confirm(admin_client, preview)

    c2 = control(h1, 2)
    assert (c2.owner, c2.implementation_status) == ("=SUM(1)", ImplementationStatus.IMPLEMENTED)
    assert control(h1, 1).evidence == "'=already quoted"
    assert Hazard.objects.get(pk=h1.pk).actions == "=SUM(1)"


def test_hazard_numbers_match_whatever_their_case(admin_client, log, hazards):
    edited = edit_xlsx(export_data(log, "xlsx"), {(2, "Hazard Number"): "h1", (2, "Control Owner"): "Supplier"})
    confirm(admin_client, upload(admin_client, log, edited, "data.xlsx"))
    assert control(hazards[0], 1).owner == "Supplier"


def test_a_new_control_number_adds_a_control_with_its_causes(admin_client, admin_user, log, hazards):
    h2 = hazards[1]
    row = {
        "Hazard Number": "H2",
        "Control Number": 3,
        "Control": "Barcode scanning at the bedside",
        "Control Kind": "Additional",
        "Control Type": "Test",
        "Causes Answered": "1, 2",
        "Implementation Status": "Proposed",
    }
    edited = edit_xlsx(export_data(log, "xlsx"), {}, append=[row])

    preview = upload(admin_client, log, edited, "data.xlsx")
    assert problems(preview) == []
    assert preview.context["result"].totals["new"] == 1
    assert not Control.objects.filter(hazard=h2, number=3).exists()
    confirm(admin_client, preview)

    added = control(h2, 3)
    assert (added.kind, added.control_type, added.description) == (
        ControlKind.ADDITIONAL,
        ControlType.TEST,
        "Barcode scanning at the bedside",
    )
    assert sorted(cause.number for cause in added.causes.all()) == [1, 2]
    assert added.history.first().history_user == admin_user


# All or nothing ---------------------------------------------------------------------------------------


BAD_ROWS = [
    pytest.param(
        {(3, "Implementation Status"): "Done"},
        "Row 3, Implementation Status: Implementation status “Done” is not known. "
        "Use one of Proposed, Implemented, Verified.",
        id="unknown-status",
    ),
    pytest.param(
        {(4, "Hazard Number"): "H99"},
        "Row 4, Hazard Number: there is no hazard “H99” in the log",
        id="unknown-hazard",
    ),
    pytest.param(
        {(5, "Causes Answered"): "1, 7"},
        "Row 5, Causes Answered: hazard H2 has no cause 7 (its causes are numbered 1, 2).",
        id="unknown-cause",
    ),
    pytest.param(
        {(2, "Control Type"): "Desgin"},
        "Row 2, Control Type: Control type “Desgin” is not known. Use one of Design, Test, Training, "
        "Business Process Change, or leave it empty.",
        id="unknown-type",
    ),
    pytest.param(
        {(3, "Control Type"): None},
        "Row 3, Control Type: Choose the type of this additional control.",
        id="additional-without-type",
    ),
    pytest.param(
        {(3, "Hazard Name"): "Renamed in the file"},
        "Row 3, Hazard Name: the file has “Renamed in the file” but hazard H1 has “Wrong patient record displayed”.",
        id="hazard-column-changed",
    ),
    pytest.param(
        {(3, "Control Number"): "two"},
        "Row 3, Control Number: “two” is not a control number",
        id="bad-control-number",
    ),
    pytest.param(
        {(3, "Control Number"): 1},
        "Row 3, Control Number: control 1 of hazard H1 is also on row 2; keep one row.",
        id="same-control-twice",
    ),
    pytest.param(
        {(3, "Evidence Link"): "not a link"},
        "Row 3, Evidence Link: Enter a valid URL.",
        id="bad-link",
    ),
]


@pytest.mark.parametrize(("changes", "message"), BAD_ROWS)
def test_one_bad_row_is_named_and_nothing_is_written(admin_client, log, hazards, changes, message):
    # Row 2 also changes, validly: it must not be written either.
    edited = edit_xlsx(export_data(log, "xlsx"), {(2, "Control Owner"): "Trust", **changes})
    before = history_rows()

    preview = upload(admin_client, log, edited, "data.xlsx")

    assert preview.status_code == 200
    assert any(found.startswith(message) for found in problems(preview)), problems(preview)
    assert "confirm_form" not in preview.context
    assert message.split(":")[0] in preview.content.decode()
    assert history_rows() == before
    assert control(hazards[0], 1).owner == ""
    assert AdminImportUpload.objects.count() == 0  # nothing will confirm a refused preview


def test_a_problem_found_only_at_confirm_writes_nothing(admin_client, log, hazards):
    h1 = hazards[0]
    edited = edit_xlsx(export_data(log, "xlsx"), {(2, "Control Owner"): "Trust", (5, "Control Owner"): "Supplier"})
    preview = upload(admin_client, log, edited, "data.xlsx")
    assert problems(preview) == []
    # Between preview and confirm someone renames H2 in the hazard editor.
    h2 = Hazard.objects.get(pk=hazards[1].pk)
    h2.name = "Renamed meanwhile"
    h2.save()
    before = history_rows()

    done = confirm(admin_client, preview)

    assert done.status_code == 200
    assert [str(m) for m in done.context["messages"]] == [
        "Nothing was imported: the file has the problems listed below."
    ]
    assert any(
        found.startswith("Row 5, Hazard Name: the file has “Wrong patient record displayed” but hazard H2 has “Renamed")
        for found in problems(done)
    )
    assert "Row 5, Hazard Name" in done.content.decode()
    assert history_rows() == before
    assert control(h1, 1).owner == ""  # row 2 was valid, and is not written either
    assert AdminImportUpload.objects.count() == 0


def test_text_too_long_for_the_nhs_workbook_cell_is_refused(admin_client, log, hazards):
    h1 = hazards[0]
    c1 = control(h1, 1)
    c1.description = "x" * 20_000
    c1.save()
    row = {
        "Hazard Number": "H1",
        "Control Number": 3,
        "Control": "y" * 20_000,
        "Control Kind": "Existing",
        "Causes Answered": "1",
        "Implementation Status": "Proposed",
    }
    edited = edit_xlsx(export_data(log, "xlsx"), {}, append=[row])

    preview = upload(admin_client, log, edited, "data.xlsx")

    assert any(
        found.startswith("Row 7, Control: hazard H1 would no longer fit the NHS workbook: Existing Controls")
        for found in problems(preview)
    ), problems(preview)
    assert not Control.objects.filter(hazard=h1, number=3).exists()


def test_a_withdrawn_control_number_is_refused(admin_client, log, hazards):
    row = {"Hazard Number": "H3", "Control Number": 1, "Control": "Back again", "Control Kind": "Existing"}
    edited = edit_xlsx(export_data(log, "xlsx"), {}, append=[row | {"Implementation Status": "Proposed"}])
    preview = upload(admin_client, log, edited, "data.xlsx")
    assert any(
        found.startswith("Row 7, Control Number: control 1 of hazard H3 is withdrawn") for found in problems(preview)
    )


# Files that are not what they should be ------------------------------------------------------------------


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types><Override ContentType='wordprocessingml.document'/></Types>")
        archive.writestr("word/document.xml", "<document/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "name", "fmt", "message"),
    [
        (b"\x00\x01 not a workbook", "data.xlsx", "xlsx", "data.xlsx is not an Excel workbook: it may be a renamed"),
        (b"PK\x03\x04 truncated", "data.xlsx", "xlsx", "data.xlsx is damaged or incomplete"),
        (None, "report.xlsx", "xlsx", "report.xlsx is not an Excel workbook (it is a zip file of another kind"),
        (b"Hazard Number,Control Number\r\nH1,1\r\n", "data.csv", "xlsx", "data.csv is not an Excel workbook (.xlsx)"),
        ("xlsx", "data.csv", "csv", "data.csv is an Excel workbook, not a CSV file: choose the format xlsx."),
        (
            b"Hazard Number,Control Number\r\nH1,\xff\r\n",
            "data.csv",
            "csv",
            "data.csv is not UTF-8 text (byte 34 cannot be read)",
        ),
        (b"Hazard Number,Control Owner\r\nH1,x\r\n", "data.csv", "csv", "data.csv has no “Control Number” column"),
        (b"Hazard Number,Control Number,Notes\r\n", "data.csv", "csv", "data.csv: “Notes” in row 1 is not a column"),
        (b"", "data.csv", "csv", None),
    ],
)
def test_a_corrupt_or_renamed_file_gets_a_clear_message(admin_client, log, hazards, content, name, fmt, message):
    if content is None:
        content = _docx()
    elif content == "xlsx":
        content = export_data(log, "xlsx")
    response = upload(admin_client, log, content, name, fmt)
    assert response.status_code == 200
    errors = form_errors(response)
    if message is None:  # Django's own message for an empty upload
        assert errors == ["The submitted file is empty."]
    else:
        assert any(error.startswith(message) for error in errors), errors
    assert "confirm_form" not in response.context
    assert AdminImportUpload.objects.count() == 0


def test_a_formula_cell_is_refused_with_its_place(admin_client, log, hazards):
    wb = openpyxl.load_workbook(io.BytesIO(export_data(log, "xlsx")))
    ws = wb.worksheets[0]
    ws["O3"] = "=1+1"  # a real formula: its cached value would be whatever the file claims
    out = io.BytesIO()
    wb.save(out)
    response = upload(admin_client, log, out.getvalue(), "data.xlsx")
    assert form_errors(response) == [
        "Row 3, column O: the cell holds a formula (=1+1). Formulas are not imported: type the value itself "
        "(to import text starting with “=”, format the cell as Text first)."
    ]


def test_rows_beyond_an_understated_sheet_dimension_are_read(admin_client, log, hazards):
    edited = edit_xlsx(export_data(log, "xlsx"), {(5, "Control Owner"): "Last data row"})
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(edited)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                # openpyxl writes `<dimension ref="A1:Z6" />` through ElementTree, `…"/>` through lxml.
                data, replaced = re.subn(rb'<dimension ref="A1:Z6" ?/>', b'<dimension ref="A1:Z2"/>', data)
                assert replaced == 1
            target.writestr(item, data)
    preview = upload(admin_client, log, out.getvalue(), "data.xlsx")
    assert problems(preview) == []
    assert len(preview.context["result"].rows) == 5
    confirm(admin_client, preview)
    assert control(hazards[1], 2).owner == "Last data row"


def test_the_sheet_is_found_by_its_name_not_by_being_active(admin_client, log, hazards):
    wb = openpyxl.load_workbook(io.BytesIO(edit_xlsx(export_data(log, "xlsx"), {(2, "Control Owner"): "Trust"})))
    notes = wb.create_sheet("Notes", 0)
    notes["A1"] = "My working"
    wb.active = 0
    out = io.BytesIO()
    wb.save(out)
    confirm(admin_client, upload(admin_client, log, out.getvalue(), "data.xlsx"))
    assert control(hazards[0], 1).owner == "Trust"


# Where the upload waits, and who may import ------------------------------------------------------------


def test_the_upload_waits_in_the_database_between_preview_and_confirm(admin_client, log, hazards):
    assert settings.IMPORT_EXPORT_TMP_STORAGE_CLASS == "hazardlog.admin_uploads.DatabaseStorage"
    assert ControlAdmin(Control, None).get_tmp_storage_class() is DatabaseStorage
    content = edit_xlsx(export_data(log, "xlsx"), {(2, "Control Owner"): "Trust"})

    preview = upload(admin_client, log, content, "data.xlsx")

    stored = AdminImportUpload.objects.get()
    assert bytes(stored.content) == content
    assert preview.context["confirm_form"].initial["import_file_name"] == stored.name
    confirm(admin_client, preview)
    assert not AdminImportUpload.objects.exists()


def test_a_confirm_whose_upload_is_gone_explains_itself(admin_client, log, hazards):
    preview = upload(admin_client, log, export_data(log, "xlsx"), "data.xlsx")
    AdminImportUpload.objects.all().delete()
    done = confirm(admin_client, preview)
    assert done.status_code == 200
    assert [str(m) for m in done.context["messages"]] == [
        "Nothing was imported. The uploaded file is no longer stored (it was already imported, refused, or left "
        "unconfirmed for more than a day). Nothing was imported: upload the file again."
    ]


def test_staff_who_may_only_view_controls_cannot_import(client, django_user_model, log, hazards):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_control"))
    client.force_login(viewer)
    assert client.get(IMPORT_URL).status_code == 403
    assert upload(client, log, export_data(log, "xlsx"), "data.xlsx").status_code == 403


def test_the_import_form_asks_for_the_log_and_lists_what_it_imports(admin_client, log):
    response = admin_client.get(IMPORT_URL)
    assert list(response.context["form"].fields)[:3] == ["log", "resource", "import_file"]
    assert response.context["fields_list"][0][1] == [
        "Hazard Number",
        "Control Number",
        "Control",
        "Control Kind",
        "Control Type",
        "Causes Answered",
        "Control Owner",
        "Implementation Status",
        "Evidence",
        "Evidence Link",
    ]
    no_log = admin_client.post(IMPORT_URL, {"format": "0", "resource": "0"})
    assert no_log.context["form"].errors["log"] == ["This field is required."]


def test_the_preview_costs_the_same_queries_for_few_rows_as_for_many(admin_client, log, hazards):
    """Each row's hazard, control and causes come from one load of the log, not a query per row. (Only the
    savepoint import-export puts around each row grows with the rows.)"""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def preview_queries() -> int:
        content = export_data(log, "xlsx")
        with CaptureQueriesContext(connection) as captured:
            assert problems(upload(admin_client, log, content, "data.xlsx")) == []
        return sum(1 for query in captured if "SAVEPOINT" not in query["sql"])

    few = preview_queries()  # 5 rows
    for n in range(4, 14):
        factories.make_hazard(log, f"H{n}")
    assert preview_queries() == few  # 25 rows
