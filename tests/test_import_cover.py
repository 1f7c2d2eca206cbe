"""Issue 13.5: a workbook of the other standard, or whose cover details differ from the log's, is warned about
field by field on every import path, which offers to import the hazards only and leave the log's cover page
as it is."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from hazardlog.imports import HAZARDS_ONLY, REPLACE_COVER, CoverChoiceNeeded, confirm_import, preview_import
from hazardlog.models import Hazard, HazardLog, ImportRecord, ImportStatus, Membership, Role, Standard
from hazardlog.snapshot import build_snapshot
from hazardlog.spreadsheet import export_data
from hazardlog.workbook.writer import write_nhs_workbook
from tests import factories
from tests.import_files import database_counts

COVER = {
    "clinical_safety_officer": "Dr D Eployer",
    "owner": "Trust Digital",
    "version": "0.3",
    "purpose": "The trust's deployment of ePMA.",
}


@pytest.fixture
def manufacturers_workbook(matrix) -> bytes:
    """A manufacturer's DCB0129 log for ePMA, exported as the NHS workbook."""
    log = factories.make_log(
        matrix=matrix,
        name="ePMA",
        standard=Standard.DCB0129,
        clinical_safety_officer="Dr M Aker",
        owner="Supplier Ltd",
        version="1.0",
        purpose="The manufacturer's hazard log.",
    )
    factories.make_hazard(log, "H1", name="Dose shown in the wrong unit")
    return write_nhs_workbook(build_snapshot(log))


@pytest.fixture
def deployers_log(matrix):
    """The deploying organisation's DCB0160 log of the same system, its own cover filled in."""
    return factories.make_log(matrix=matrix, name="ePMA", standard=Standard.DCB0160, **COVER)


def cover_of(log) -> dict:
    log.refresh_from_db()
    return {name: getattr(log, name) for name in COVER}


def test_a_dcb0129_workbook_into_a_dcb0160_log_warns_field_by_field(deployers_log, manufacturers_workbook, user):
    record = preview_import(deployers_log, "supplier.xlsx", manufacturers_workbook, user)
    assert record.status == ImportStatus.PREVIEWED
    differences = {d["field"]: (d["log"], d["workbook"]) for d in record.report["cover_differences"]}
    assert differences == {
        "Standard": ("DCB0160", "DCB0129"),
        "Clinical Safety Officer": ("Dr D Eployer", "Dr M Aker"),
        "Owner": ("Trust Digital", "Supplier Ltd"),
        "Version": ("0.3", "1.0"),
        "Document Purpose": ("The trust's deployment of ePMA.", "The manufacturer's hazard log."),
    }
    warnings = [m for m in record.report["messages"] if m["level"] == "warning"]
    standard = next(m for m in warnings if "Standard" in m["message"])
    assert (standard["sheet"], standard["column"], standard["row"]) == ("Cover Page", "D", 14)
    assert "The workbook's Standard is “DCB0129”; this log's is “DCB0160”" in standard["message"]
    assert record.counts["warnings"] == len(warnings) >= 5


def test_the_same_system_and_standard_with_an_empty_cover_is_not_a_difference(matrix, manufacturers_workbook, user):
    empty = factories.make_log(matrix=matrix, name="ePMA", standard=Standard.DCB0160, clinical_safety_officer="")
    # The standard still differs; the cover fields the log left empty are only filled in.
    record = preview_import(empty, "supplier.xlsx", manufacturers_workbook, user)
    assert [d["field"] for d in record.report["cover_differences"]] == ["Standard"]
    same = factories.make_log(matrix=matrix, name="ePMA 2", clinical_safety_officer="")
    own = write_nhs_workbook(build_snapshot(same))
    assert preview_import(same, "own.xlsx", own, user).report["cover_differences"] == []


def test_hazards_only_imports_the_hazards_and_leaves_the_cover_page(deployers_log, manufacturers_workbook, user):
    before = cover_of(deployers_log)
    record = preview_import(deployers_log, "supplier.xlsx", manufacturers_workbook, user)
    with pytest.raises(CoverChoiceNeeded, match="Standard: “DCB0129”, the log's “DCB0160”"):
        confirm_import(record, user, cover=None)
    assert ImportRecord.objects.get(pk=record.pk).status == ImportStatus.PREVIEWED  # still open for the choice
    record = confirm_import(record, user, cover=HAZARDS_ONLY)
    assert record.status == ImportStatus.APPLIED and record.report["cover"] == HAZARDS_ONLY
    assert cover_of(deployers_log) == before and deployers_log.standard == Standard.DCB0160
    assert deployers_log.history.count() == 1  # its creation only: the import wrote no change of the log
    assert Hazard.objects.get(log=deployers_log).name == "Dose shown in the wrong unit"


def test_replace_cover_replaces_it(deployers_log, manufacturers_workbook, user):
    record = confirm_import(
        preview_import(deployers_log, "supplier.xlsx", manufacturers_workbook, user), user, cover=REPLACE_COVER
    )
    assert record.report["cover"] == REPLACE_COVER
    assert cover_of(deployers_log) == {
        "clinical_safety_officer": "Dr M Aker",
        "owner": "Supplier Ltd",
        "version": "1.0",
        "purpose": "The manufacturer's hazard log.",
    }
    assert deployers_log.standard == Standard.DCB0160  # which log this is never changes


# The web pages -----------------------------------------------------------------------------------------------


@pytest.fixture
def preview_url(client, user, deployers_log, manufacturers_workbook):
    Membership.objects.create(log=deployers_log, user=user, role=Role.EDITOR)
    client.force_login(user)
    record = preview_import(deployers_log, "supplier.xlsx", manufacturers_workbook, user)
    return reverse("hazardlog:import_preview", args=[deployers_log.pk, record.pk])


def test_the_preview_page_shows_each_difference_with_both_values(client, preview_url):
    page = client.get(preview_url).content.decode()
    assert "This workbook's cover page differs from this log's" in page
    for text in ("Standard", "DCB0160", "DCB0129", "Dr D Eployer", "Dr M Aker", "Trust Digital", "Supplier Ltd"):
        assert text in page
    assert "Import the hazards only, and leave this log&#x27;s cover page as it is" in page


def test_confirming_without_a_choice_asks_for_one_and_writes_nothing(client, preview_url, deployers_log):
    before = database_counts()
    response = client.post(preview_url, {"action": "confirm"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "<title>Error: " in page and 'href="#id_cover_0"' in page
    assert "Choose whether to import the hazards only or to replace this log&#x27;s cover page" in page
    assert database_counts() == before
    assert ImportRecord.objects.get(log=deployers_log).status == ImportStatus.PREVIEWED


def test_confirming_hazards_only_on_the_page(client, preview_url, deployers_log):
    before = cover_of(deployers_log)
    response = client.post(preview_url, {"action": "confirm", "cover": HAZARDS_ONLY}, follow=True)
    assert "hazards only: the log&#x27;s cover page was left as it was" in response.content.decode()
    assert cover_of(deployers_log) == before and Hazard.objects.filter(log=deployers_log).count() == 1
    page = client.get(preview_url).content.decode()
    assert "hazards only: the log's cover page was left as it was" in page


def test_an_unknown_choice_is_refused(client, preview_url, deployers_log):
    response = client.post(preview_url, {"action": "confirm", "cover": "everything"})
    assert response.status_code == 400 and not Hazard.objects.filter(log=deployers_log).exists()


# The command line --------------------------------------------------------------------------------------------


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_hazard_log", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def supplier_file(tmp_path, manufacturers_workbook):
    path = tmp_path / "supplier.xlsx"
    path.write_bytes(manufacturers_workbook)
    return str(path)


def test_the_command_refuses_a_differing_cover_and_says_why(deployers_log, supplier_file):
    before = database_counts()
    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_hazard_log", supplier_file, "--log", "ePMA", "--standard", "DCB0160", stdout=out)
    message = str(refused.value)
    assert "cover page differs from the log's: Standard “DCB0129” (the log's: “DCB0160”)" in message
    assert "Owner “Supplier Ltd” (the log's: “Trust Digital”)" in message
    assert "Nothing was written" in message and "--hazards-only" in message and "--replace-cover" in message
    assert "differs   Standard: the log's 'DCB0160', the workbook's 'DCB0129'" in out.getvalue()
    assert database_counts() == before and not ImportRecord.objects.exists()


def test_the_command_imports_hazards_only(deployers_log, supplier_file):
    before = cover_of(deployers_log)
    output = run(supplier_file, "--log", "ePMA", "--standard", "DCB0160", "--hazards-only")
    assert "Hazards only: the log's cover page was left as it was." in output
    assert cover_of(deployers_log) == before and Hazard.objects.filter(log=deployers_log).count() == 1
    assert ImportRecord.objects.get().report["cover"] == HAZARDS_ONLY


def test_the_command_replaces_the_cover_when_told(deployers_log, supplier_file):
    run(supplier_file, "--log", "ePMA", "--standard", "DCB0160", "--replace-cover")
    assert cover_of(deployers_log)["owner"] == "Supplier Ltd"


def test_the_command_refuses_both_choices_at_once(deployers_log, supplier_file):
    with pytest.raises(CommandError, match="not allowed with argument"):
        run(supplier_file, "--log", "ePMA", "--hazards-only", "--replace-cover")


def test_a_dry_run_shows_the_differences_and_the_choice(deployers_log, supplier_file):
    output = run(supplier_file, "--log", "ePMA", "--standard", "DCB0160", "--dry-run")
    assert "differs   Owner: the log's 'Trust Digital', the workbook's 'Supplier Ltd'" in output
    assert "--hazards-only" in output and "Dry run: nothing was written." in output


def test_a_new_log_takes_the_workbooks_cover_but_not_another_standard(db, supplier_file):
    # A log the command creates has no cover to overwrite, and its name is the importer's choice...
    run(supplier_file, "--log", "Our ePMA")
    assert HazardLog.objects.get(name="Our ePMA").owner == "Supplier Ltd"
    # ...but a workbook saying it follows the other standard is still a choice to make.
    with pytest.raises(CommandError, match="Standard “DCB0129” \\(the log's: “DCB0160”\\)"):
        run(supplier_file, "--log", "Trust ePMA", "--standard", "DCB0160")
    assert not HazardLog.objects.filter(name="Trust ePMA").exists()


# The admin's data import ------------------------------------------------------------------------------------


def test_the_admin_data_import_never_touches_the_cover_page(admin_client, deployers_log):
    """The admin imports the data export (one row per control), which carries no cover page and no standard:
    there is nothing to compare, and it never changes the log's cover, whatever the file."""
    factories.make_hazard(deployers_log, "H1")
    before = cover_of(deployers_log)
    content = export_data(deployers_log, "csv")
    file = io.BytesIO(content)
    file.name = "data.csv"
    preview = admin_client.post(
        reverse("admin:hazardlog_control_import"),
        {"log": deployers_log.pk, "format": "1", "resource": "0", "import_file": file},
    )
    form = preview.context["confirm_form"]
    admin_client.post(
        reverse("admin:hazardlog_control_process_import"),
        {name: form.initial.get(name, "") for name in form.fields},
        follow=True,
    )
    assert cover_of(deployers_log) == before and deployers_log.history.count() == 1
