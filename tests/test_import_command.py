"""`manage.py import_hazard_log PATH --log NAME [--dry-run]`."""

import io

import pytest
from django.core.management import CommandError, call_command

from hazardlog import nhs_matrix
from hazardlog.models import Hazard, HazardLog, ImportRecord, ImportStatus
from tests import factories
from tests.import_files import NHS_WORKBOOKS, database_counts, hazard_row, needs_nhs_workbooks, workbook


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_hazard_log", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "log.xlsx"
    path.write_bytes(workbook([hazard_row("H1"), hazard_row("H2", initial_rating=1)]))
    return path


def test_it_creates_the_log_and_imports(db, good_file, django_user_model):
    django_user_model.objects.create_user(username="cso")
    output = run(str(good_file), "--log", "ePMA", "--user", "cso")
    log = HazardLog.objects.get(name="ePMA", standard="DCB0129")
    assert log.matrix.name == nhs_matrix.NAME
    assert sorted(log.hazards.values_list("reference", flat=True)) == ["H1", "H2"]
    record = ImportRecord.objects.get(log=log)
    assert (record.status, record.user.username, record.file_name) == (ImportStatus.APPLIED, "cso", "log.xlsx")
    assert "log.xlsx → ePMA (DCB0129) (new log)" in output
    assert "Hazards: 2 to create, 0 to update, 0 unchanged" in output
    assert "create    H1  Hazard H1" in output
    assert "Hazard Log!I3: The rating typed in I3 gives 1, but the risk matrix gives 3 for Major × Low" in output
    assert "Imported into ePMA (DCB0129)." in output


def test_it_updates_an_existing_log_and_reports_missing_hazards(log, good_file):
    factories.make_hazard(log, "H1", name="Old name")
    factories.make_hazard(log, "H9")
    output = run(str(good_file), "--log", log.name)
    assert "1 to create, 1 to update" in output and "1 in the log but not in the file (kept)" in output
    assert "Hazard name: 'Old name' → 'Hazard H1'" in output
    assert "Not in the file (kept, not deleted): H9" in output
    assert Hazard.objects.filter(log=log).count() == 3


def test_a_dry_run_prints_the_report_and_writes_nothing(db, good_file):
    before = database_counts()
    output = run(str(good_file), "--log", "ePMA", "--dry-run")
    assert "Hazards: 2 to create" in output and "Dry run: nothing was written." in output
    assert database_counts() == before
    assert not ImportRecord.objects.exists()


def test_an_error_exits_non_zero_and_writes_nothing_not_even_the_log(db, tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(workbook([hazard_row("H1"), hazard_row("H2", initial_severity="Severe")]))
    before = database_counts()
    out = io.StringIO()
    with pytest.raises(CommandError, match="refused; nothing was written"):
        call_command("import_hazard_log", str(path), "--log", "ePMA", stdout=out)
    assert "'Severe' is not a severity" in out.getvalue()
    assert "Errors (1):" in out.getvalue()
    assert database_counts() == before and not ImportRecord.objects.exists()


def test_a_file_that_is_not_a_workbook_exits_non_zero(db, tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("not a workbook")
    with pytest.raises(CommandError):
        run(str(path), "--log", "ePMA")
    assert not HazardLog.objects.exists()


def test_a_missing_file_or_user_is_a_clear_error(db, good_file):
    with pytest.raises(CommandError, match="Cannot read"):
        run("/nonexistent/log.xlsx", "--log", "ePMA")
    with pytest.raises(CommandError, match="There is no user 'nobody'"):
        run(str(good_file), "--log", "ePMA", "--user", "nobody")


@needs_nhs_workbooks
def test_it_imports_a_real_nhs_workbook(db):
    output = run(str(NHS_WORKBOOKS / "NRL Hazard Log V1.7.xlsx"), "--log", "NRL", "--standard", "DCB0160")
    assert HazardLog.objects.get(name="NRL", standard="DCB0160").hazards.count() == 11
    assert "DCH NRL Hazard Log!I2: The rating typed in I2 gives 2, but the risk matrix gives 3" in output
