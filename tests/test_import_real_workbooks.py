"""The real NHS hazard log workbooks (../shared/nhs-workbooks/) import with the expected hazards,
causes, controls and rating warnings. Skipped, with the reason shown, where that folder is absent."""

import io
from datetime import date

import openpyxl
import pytest

from hazardlog.imports import confirm_import, preview_import
from hazardlog.models import Hazard, ImportStatus
from hazardlog.workbook.reader import CANONICAL, CONSUMER, PER_CONTROL
from tests.import_files import NHS_WORKBOOKS, needs_nhs_workbooks

pytestmark = needs_nhs_workbooks


def imported(log, user, name: str):
    content = (NHS_WORKBOOKS / name).read_bytes()
    record = preview_import(log, name, content, user)
    assert record.status == ImportStatus.PREVIEWED, [m for m in record.report["messages"] if m["level"] == "error"]
    confirm_import(record, user)
    record.refresh_from_db()
    return record


def warnings(record) -> list[tuple]:
    return [
        (m["sheet"], m["column"], m["row"], m["message"]) for m in record.report["messages"] if m["level"] == "warning"
    ]


PLACEHOLDER = "GP_Connect_Hazard_Log-Consumers_placeholder.xlsx"


def non_empty_cells(path) -> int:
    """Cells with a value, or a formula, in every sheet, as openpyxl reads the file."""
    wb = openpyxl.load_workbook(path)
    return sum(1 for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value not in (None, ""))


def hazard(log, reference) -> Hazard:
    return Hazard.objects.get(log=log, reference=reference)


def active(queryset):
    return queryset.filter(withdrawn=False)


def test_nrl_v1_7_imports_its_eleven_hazards_with_the_rating_warnings(log, user):
    record = imported(log, user, "NRL Hazard Log V1.7.xlsx")
    assert record.report["layout"] == CANONICAL and record.report["sheet"] == "DCH NRL Hazard Log"
    assert [h.reference for h in Hazard.objects.filter(log=log).order_by("reference")] == [
        f"NRL{n:02}" for n in range(1, 12)
    ]
    assert record.counts == {
        "create": 11,
        "update": 0,
        "unchanged": 0,
        "missing_from_file": 0,
        "errors": 0,
        "warnings": 15,
    }
    sheet = "DCH NRL Hazard Log"
    # The cover's title names another system than the log's: warned about, with both names.
    system = [w for w in warnings(record) if w[:3] == ("Cover Page", "A", 8)]
    assert len(system) == 1 and "System name is “Digital Interoperability Platform”; this log's is" in system[0][3]
    assert record.report["cover_differences"][0]["field"] == "System name"
    proposed = [w for w in warnings(record) if "(Status) is empty" in w[3]]
    assert len(proposed) == 11 and proposed[0][1:3] == ("S", 2)  # no status in the workbook: Open is proposed
    assert [w for w in warnings(record) if w not in proposed + system] == [
        (sheet, "I", 2, "The rating typed in I2 gives 2, but the risk matrix gives 3 for Major × Low; 3 is used."),
        (
            sheet,
            "P",
            2,
            "The formula in P2 gives 2, but the risk matrix gives 1 for Significant × Very low; 1 is used.",
        ),
        (sheet, "P", 7, "The formula in P7 gives 3, but the risk matrix gives 2 for Significant × Low; 2 is used."),
    ]
    nrl01 = hazard(log, "NRL01")
    assert nrl01.assessment("initial").rating.number == 3
    assert nrl01.causes.count() == 9
    assert (
        nrl01.causes.get(number=4).description
        == "Parent or guardian does not consent to advertising that a record exists"
    )
    assert nrl01.controls.filter(kind="existing").count() == 9
    training = nrl01.controls.get(kind="additional", control_type="test", description="Supplier onboarding process")
    assert sorted(training.causes.values_list("number", flat=True)) == [7, 8, 9]
    nrl11 = hazard(log, "NRL11")
    design = nrl11.controls.get(kind="additional", control_type="design")
    assert sorted(design.causes.values_list("number", flat=True)) == [1, 2, 3, 4]
    assert hazard(log, "NRL05").causes.count() == 14
    log.refresh_from_db()
    assert (log.programme, log.owner, log.version, log.version_date) == (
        "Operations and Assurance Services",
        "Ian Dugdale",
        "1.6",  # a number cell formatted 0.0, read as displayed
        date(2020, 7, 7),  # typed as the text 07.07.2020
    )
    amendments = [row for row in log.document_history if row["table"] == "amendment"]
    assert len(amendments) == 17 and amendments[-1]["version"] == "1.7" and amendments[0]["date"] == "2018-02-22"
    assert [(row["name"], row["role"]) for row in log.document_history if row["table"] != "amendment"] == [
        ("Andy Carr", "Clinical Safety Officer"),
        ("Ian Dugdale", "Safety Engineer"),
        ("Raman Behl", "Clinical Safety Officer"),
        ("Chris Dickson", "Clinical Safety Officer"),
    ]
    assert [sheet["title"] for sheet in log.kept_sheets] == [
        "Cover Page",
        "Abbreviations & Acronyms",
        "References",
        "Assumptions",
    ]


def test_the_empty_nrl_v1_6_template_imports_no_hazards_cleanly(log, user):
    record = imported(log, user, "NRL Hazard Log V1.6.xlsx")
    assert record.report["layout"] == CANONICAL and record.report["hazards"] == []
    assert record.counts["create"] == record.counts["errors"] == 0
    assert not Hazard.objects.filter(log=log).exists()


def test_the_cds_one_row_per_control_log_imports_with_its_cause_and_control_ids(log, user):
    record = imported(log, user, "CDS_API_Hazard_Log_V1.0.xlsx")
    assert record.report["layout"] == PER_CONTROL
    assert [h["reference"] for h in record.report["hazards"]] == ["H01", "H02", "H03", "H04"]
    h01 = hazard(log, "H01")
    assert h01.name == "Absent or incomplete triage"
    assert list(active(h01.causes).values_list("number", "description"))[:2] == [
        (1, "Messaging failure"),
        (2, "Malicious attack"),
    ]
    assert active(h01.causes).count() == 6
    assert active(h01.controls).filter(kind="additional").count() == 25
    assert active(h01.controls).filter(kind="existing").count() == 1
    timeout = h01.controls.get(description__startswith="The CDS API implementation guide to provide guidance")
    assert (timeout.control_type, timeout.owner, timeout.implementation_status) == ("design", "NHSD", "implemented")
    assert timeout.source_id == "010101" and h01.causes.get(number=1).source_id == "0101"
    log.refresh_from_db()
    assert log.version == "1.0"  # a number cell formatted 0.0
    assert list(timeout.causes.values_list("number", flat=True)) == [1]
    assert h01.controls.get(description__startswith="Deployment organisations").control_type == "bpc"
    assert active(hazard(log, "H02").causes).count() == 19  # 18 ids, and "0211" used twice for different causes
    assert active(hazard(log, "H03").causes).count() == 5  # "0301" written twice, once without its full stop
    assert hazard(log, "H04").assessment("residual").rating.number == 2
    messages = [m for *_, m in warnings(record)]
    assert "Row 34 has no hazard number; it was read as part of H02 above." in messages
    assert "Cause id 0106 repeats the text of cause 5; it was read as cause 5." in messages
    assert sum("Deferred to version 2.0" in m for m in messages) == 10


def test_the_gp_connect_consumer_guidance_log_imports_without_ratings(log, user):
    record = imported(log, user, "GP_Connect_Hazard_Log-Consumers_v0.6.xlsx")
    assert record.report["layout"] == CONSUMER
    assert record.counts["create"] == 55
    first = hazard(log, "2")
    assert (first.name, first.hazard_type) == (
        "Inconsistencies on the coding of allergies",
        "Structured - Medicines and Allergies",
    )
    assert first.actions.startswith("The system should degrade")
    assert not first.assessments.exists() and not first.controls.exists()
    assert hazard(log, "61").name.startswith("Proportional data gathering")
    assert list(hazard(log, "81").causes.values_list("number", flat=True)) == [1, 2, 3]
    skipped = [m for *_, m in warnings(record) if "has no hazard number" in m]
    assert len(skipped) == 9  # the drop-down list of hazard types kept below the table


IMPORTABLE = [
    "NRL Hazard Log V1.7.xlsx",
    "NRL Hazard Log V1.6.xlsx",
    "CDS_API_Hazard_Log_V1.0.xlsx",
    "GP_Connect_Hazard_Log-Consumers_v0.6.xlsx",
    "GP_Connect_Hazard_Log-Consumers_v0.7.xlsx",
    "GP_Connect_Hazard_Log-Consumers (gpconnect).xlsx",
]


def test_every_real_workbook_is_in_this_test_or_refused():
    assert {path.name for path in NHS_WORKBOOKS.glob("*.xlsx")} == {*IMPORTABLE, PLACEHOLDER}


@pytest.mark.parametrize("name", IMPORTABLE)
def test_every_cell_of_a_real_workbook_is_accounted_for(log, user, name):
    record = imported(log, user, name)
    tally = record.report["tally"]
    assert tally["read"] == tally["stored"] + tally["additional"] + tally["sheets"] + tally["not_imported"]
    assert tally["read"] == non_empty_cells(NHS_WORKBOOKS / name)
    assert len(tally["not_imported_cells"]) == tally["not_imported"]
    assert all(cell["sheet"] and cell["cell"] and cell["reason"] for cell in tally["not_imported_cells"])


def test_the_placeholder_is_refused_saying_it_has_no_hazard_names(log, user):
    record = preview_import(log, PLACEHOLDER, (NHS_WORKBOOKS / PLACEHOLDER).read_bytes(), user)
    assert record.status == ImportStatus.REFUSED
    assert (
        "has 24 hazard numbers but no hazard names: column C ('Hazard name')" in record.report["messages"][0]["message"]
    )


def test_the_v0_7_mitigation_column_and_unheaded_columns_are_kept(log, user):
    record = imported(log, user, "GP_Connect_Hazard_Log-Consumers_v0.7.xlsx")
    first = hazard(log, "2")
    assert first.actions.startswith("The system should degrade")
    assert first.additional_columns == [["Column Q", "Link"]]
    assert {"column": "G", "header": "Suggested actions to mitigate hazard"}.items() <= record.report["sources"][
        6
    ].items()


def test_the_hazard_name_header_with_a_stray_formula_is_read(log, user):
    imported(log, user, "GP_Connect_Hazard_Log-Consumers (gpconnect).xlsx")
    assert hazard(log, "1").name == "Lack of detail in externally entered information (out of hours)"


@pytest.mark.parametrize("name", IMPORTABLE)
def test_importing_a_real_workbook_again_changes_nothing(log, user, name):
    imported(log, user, name)
    again = preview_import(log, name, (NHS_WORKBOOKS / name).read_bytes(), user)
    assert again.counts["create"] == again.counts["update"] == 0
    assert {h["action"] for h in again.report["hazards"]} <= {"unchanged"}


@pytest.mark.parametrize("name", IMPORTABLE)
def test_a_real_workbook_s_export_imports_again_to_the_same_data(log, user, name):
    from hazardlog.snapshot import build_snapshot
    from hazardlog.workbook.writer import write_nhs_workbook

    imported(log, user, name)
    log.refresh_from_db()
    exported = write_nhs_workbook(build_snapshot(log))
    again = preview_import(log, "export.xlsx", exported, user)
    assert again.status == ImportStatus.PREVIEWED, [m for m in again.report["messages"] if m["level"] == "error"]
    assert again.counts["create"] == again.counts["update"] == 0
    assert again.report["log_changes"] == []
    confirm_import(again, user)
    log.refresh_from_db()
    assert cells(write_nhs_workbook(build_snapshot(log))) == cells(exported)


def cells(content: bytes) -> dict:
    wb = openpyxl.load_workbook(io.BytesIO(content))
    return {ws.title: {c.coordinate: c.value for row in ws.iter_rows() for c in row} for ws in wb.worksheets}
