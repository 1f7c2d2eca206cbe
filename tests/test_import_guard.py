"""Uploads that are refused: a clear message, a refused import record, and nothing else written."""

import io
import zipfile

import openpyxl
import pytest

from hazardlog.imports import ImportRefused, confirm_import, preview_import
from hazardlog.models import ImportStatus
from tests.import_files import (
    HEADERS,
    SHEET_XML,
    database_counts,
    hazard_row,
    rewrite,
    set_cell_xml,
    workbook,
    zip_of,
)

OLE2 = bytes.fromhex("D0CF11E0A1B11AE1")


@pytest.fixture
def refused(member_log, user):
    """Preview an upload, check it was refused with `expected` in its message and wrote nothing."""

    def check(file_name: str, content: bytes, expected: str) -> str:
        before = database_counts()
        record = preview_import(member_log, file_name, content, user)
        assert record.status == ImportStatus.REFUSED
        assert record.content == b""
        errors = [m for m in record.report["messages"] if m["level"] == "error"]
        assert errors, record.report
        assert any(expected in m["message"] for m in errors), errors
        with pytest.raises(ImportRefused):
            confirm_import(record, user)
        assert database_counts() == before
        record.refresh_from_db()
        assert record.status == ImportStatus.REFUSED
        return " ".join(m["message"] for m in errors)

    return check


def test_a_good_workbook_is_not_refused(member_log, user):
    record = preview_import(member_log, "log.xlsx", workbook([hazard_row("H1")]), user)
    assert record.status == ImportStatus.PREVIEWED, record.report["messages"]


def test_a_renamed_text_file_is_refused(refused):
    refused("notes.xlsx", b"Hazard Number,Hazard Name\nH1,Wrong patient\n", "not an Excel workbook")


def test_a_truncated_workbook_is_refused(refused):
    content = workbook([hazard_row("H1")])
    refused("cut.xlsx", content[: len(content) // 2], "damaged or incomplete")


def test_a_corrupt_member_is_refused(refused):
    good = workbook([hazard_row("H1")])
    content = rewrite(good, SHEET_XML, lambda xml: xml[: len(xml) // 2])
    refused("broken.xlsx", content, "could not be read")


def test_an_empty_file_is_refused(refused):
    refused("empty.xlsx", b"", "is empty")


def test_an_encrypted_workbook_is_refused(refused):
    content = OLE2 + b"\0" * 64 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 64
    refused("secret.xlsx", content, "password-protected")


def test_an_xls_workbook_is_refused_by_name_and_by_content(refused):
    refused("old.xls", OLE2 + b"\0" * 512, "Excel 97–2003")
    refused("renamed.xlsx", OLE2 + b"\0" * 512, "Excel 97–2003")


def test_a_macro_workbook_is_refused_by_name_and_by_content(refused):
    content = workbook([hazard_row("H1")])
    with zipfile.ZipFile(io.BytesIO(content)) as source:
        members = {name: source.read(name) for name in source.namelist()}
    members["xl/vbaProject.bin"] = b"\0" * 32
    refused("macros.xlsm", content, "macro-enabled")
    refused("renamed.xlsx", zip_of(members), "contains macros")


def test_an_opendocument_spreadsheet_is_refused_by_name_and_by_content(refused):
    ods = zip_of({"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<office/>"})
    refused("log.ods", ods, "OpenDocument")
    refused("renamed.xlsx", ods, "OpenDocument")


def test_a_zip_that_is_not_a_workbook_is_refused(refused):
    refused("report.xlsx", zip_of({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w/>"}), "another kind")


def test_an_upload_over_the_size_limit_is_refused(refused, settings):
    assert settings.HAZARDLOG_MAX_UPLOAD_BYTES == 10 * 1024 * 1024
    refused("big.xlsx", b"PK\x03\x04" + b"\0" * (10 * 1024 * 1024), "the largest workbook accepted is 10.0 MB")


def test_a_zip_bomb_is_refused_from_the_zip_directory_before_parsing(refused, settings, monkeypatch):
    assert settings.HAZARDLOG_MAX_UNCOMPRESSED_BYTES == 100 * 1024 * 1024
    settings.HAZARDLOG_MAX_UNCOMPRESSED_BYTES = 2 * 1024 * 1024
    bomb = workbook([hazard_row("H1")])
    with zipfile.ZipFile(io.BytesIO(bomb)) as source:
        members = {name: source.read(name) for name in source.namelist()}
    members["xl/media/padding.bin"] = b"\0" * (3 * 1024 * 1024)  # 3 MB of zeros compress to a few KB
    content = zip_of(members)
    assert len(content) < 100 * 1024

    def no_parsing(*args, **kwargs):
        raise AssertionError("the workbook was parsed")

    monkeypatch.setattr("hazardlog.workbook.grid.ExcelReader", no_parsing)
    refused("bomb.xlsx", content, "expands to 3.")


def test_a_workbook_without_a_hazard_log_sheet_is_refused(refused):
    message = refused("other.xlsx", workbook([hazard_row("H1")], sheet="Risks"), "no hazard log sheet")
    assert "'Risks'" in message


def test_a_hazard_log_sheet_without_headers_is_refused(refused):
    content = workbook([["a", "b"]], headers=["Notes", "More notes"])
    refused("noheaders.xlsx", content, "No hazard log headers")


def test_a_missing_required_column_is_refused(refused):
    headers = [h if h != "Possible Causes" else "Comments" for h in HEADERS]
    message = refused("nocauses.xlsx", workbook([hazard_row("H1")], headers=headers), "'Possible Causes'")
    assert "row 1" in message


def test_duplicate_references_are_refused_whatever_their_case(refused):
    message = refused("dup.xlsx", workbook([hazard_row("H1"), hazard_row("h1")]), "is used again (first on row 2)")
    assert "h1" in message


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("initial_severity", "Severe", "Minor, Significant, Considerable, Major, Catastrophic"),
        ("residual_likelihood", "Rare", "Very low, Low, Medium, High, Very high"),
        ("status", "Done", "Open, Closed, Transferred"),
    ],
)
def test_an_unknown_category_is_refused_with_the_allowed_values(refused, key, value, allowed):
    message = refused("bad.xlsx", workbook([hazard_row("H1", **{key: value})]), f"'{value}' is not a")
    assert allowed in message


def test_a_formula_never_calculated_is_refused(refused):
    content = workbook([hazard_row("H1", name='=CONCAT("Wrong ","patient")')])  # openpyxl saves no result
    refused("formula.xlsx", content, "Cell B2 (Hazard Name) holds a formula")


def test_a_formula_showing_an_error_is_refused(refused):
    content = set_cell_xml(workbook([hazard_row("H1")]), "C2", '<c r="C2" t="e"><f>[1]Sheet1!#REF!</f><v>#REF!</v></c>')
    refused("ref.xlsx", content, "C2 shows the error #REF!")


def test_more_hazards_than_the_limit_are_refused(refused, settings):
    assert settings.HAZARDLOG_MAX_HAZARDS == 10_000
    settings.HAZARDLOG_MAX_HAZARDS = 3
    content = workbook([hazard_row(f"H{n}") for n in range(1, 5)])
    refused("many.xlsx", content, "more than 3 hazards")


def test_defusedxml_is_active_in_openpyxl():
    assert openpyxl.DEFUSEDXML is True


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)
XXE = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize("doctype", [BILLION_LAUGHS, XXE], ids=["billion laughs", "external entity"])
def test_xml_attacks_in_the_hazard_sheet_are_refused(refused, doctype):
    def attack(xml: str) -> str:
        body = xml.split("?>", 1)[1] if xml.startswith("<?xml") else xml
        return doctype + body.replace("Hazard H1", "&lol3;" if "lol" in doctype else "&xxe;", 1)

    content = rewrite(workbook([hazard_row("H1")]), SHEET_XML, attack)
    refused("attack.xlsx", content, "XML entity or document type declarations")


def test_xml_attacks_in_the_workbook_part_are_refused(refused):
    def attack(xml: str) -> str:
        return BILLION_LAUGHS + xml.split("?>", 1)[-1]

    refused("attack.xlsx", rewrite(workbook([hazard_row("H1")]), "xl/workbook.xml", attack), "XML entity")


@pytest.mark.parametrize("part", ["xl/workbook.xml", "xl/worksheets/sheet1.xml", "[Content_Types].xml"])
def test_declarations_are_refused_by_a_scan_whatever_parser_openpyxl_uses(refused, part):
    """With lxml installed (python-docx brings it), openpyxl parses with lxml, not defusedxml: the guard's own
    scan refuses the declarations first, so the outcome does not depend on which parser is installed."""
    content = rewrite(workbook([hazard_row("H1")]), part, lambda xml: BILLION_LAUGHS + xml.split("?>", 1)[-1])
    refused("attack.xlsx", content, f"XML entity or document type declarations (in its part {part})")


def test_a_declaration_in_a_utf16_part_is_refused(refused):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook([hazard_row("H1")]))) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/workbook.xml":
                xml = BILLION_LAUGHS + data.decode("utf-8").split("?>", 1)[-1]
                data = xml.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
            target.writestr(item, data)
    refused("attack.xlsx", out.getvalue(), "XML entity or document type declarations (in its part xl/workbook.xml)")
