"""`manage.py export_hazard_log NAME --output PATH [--format nhs|data-xlsx|csv] [--standard …]`."""

import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from hazardlog.models import Cause, Standard
from tests import factories


def run(*args) -> str:
    out = io.StringIO()
    call_command("export_hazard_log", *args, stdout=out)
    return out.getvalue()


def test_it_writes_the_nhs_workbook(log, tmp_path):
    factories.make_hazard(log, "H1")
    path = tmp_path / "log.xlsx"
    output = run(log.name, "--output", str(path))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Cover Page", "Version History", "Hazard Log", "Risk Matrix", "Export structure"]
    assert wb["Hazard Log"]["A3"].value == "H1"
    assert f"Wrote {path}" in output and "1 hazards" in output


def test_it_writes_the_data_export_as_csv_and_xlsx(log, tmp_path):
    factories.make_hazard(log, "H1")
    run(log.name, "--output", str(tmp_path / "data.csv"), "--format", "csv")
    assert (tmp_path / "data.csv").read_bytes().decode("utf-8-sig").startswith('"Hazard Number"')
    run(log.name, "--output", str(tmp_path / "data.xlsx"), "--format", "data-xlsx")
    assert openpyxl.load_workbook(tmp_path / "data.xlsx").worksheets[0]["A2"].value == "H1"


def test_a_folder_as_output_gets_the_dated_file_name(matrix, tmp_path):
    log = factories.make_log(matrix=matrix, name="EPMA", version="1.2")
    run("EPMA", "--output", str(tmp_path))
    (written,) = tmp_path.iterdir()
    assert written.name.startswith("epma-dcb0129-hazard-log-v1.2-") and written.suffix == ".xlsx"
    assert log.hazards.count() == 0


def test_it_refuses_an_unknown_log_naming_the_logs_it_has(log, tmp_path):
    with pytest.raises(CommandError, match=rf"No hazard log is named 'Nope'\. Logs: {log.name}\."):
        run("Nope", "--output", str(tmp_path / "x.xlsx"))
    assert not (tmp_path / "x.xlsx").exists()


def test_it_refuses_an_unknown_format(log, tmp_path):
    with pytest.raises(CommandError, match=r"invalid choice: 'pdf' \(choose from '?nhs'?, '?data-xlsx'?, '?csv'?\)"):
        run(log.name, "--output", str(tmp_path / "x.pdf"), "--format", "pdf")


def test_two_logs_with_one_name_need_the_standard(matrix, tmp_path):
    factories.make_log(matrix=matrix, name="EPMA", standard=Standard.DCB0129)
    deployed = factories.make_log(matrix=matrix, name="EPMA", standard=Standard.DCB0160)
    factories.make_hazard(deployed, "D1")
    with pytest.raises(
        CommandError, match="2 hazard logs are named 'EPMA': add --standard DCB0129 or --standard DCB0160"
    ):
        run("EPMA", "--output", str(tmp_path / "x.xlsx"))
    run("EPMA", "--standard", "DCB0160", "--output", str(tmp_path / "x.xlsx"))
    assert openpyxl.load_workbook(tmp_path / "x.xlsx")["Hazard Log"]["A3"].value == "D1"


def test_it_refuses_a_missing_folder(log, tmp_path):
    with pytest.raises(CommandError, match="the folder .*missing does not exist"):
        run(log.name, "--output", str(tmp_path / "missing" / "x.xlsx"))


def test_a_cell_too_long_is_a_clear_error_not_a_truncated_file(log, tmp_path):
    hazard = factories.make_hazard(log, "H1", causes=0)
    for number in (1, 2):
        Cause.objects.create(hazard=hazard, number=number, description="c" * 20_000)
    with pytest.raises(CommandError, match="Hazard H1, Possible Causes: the cell would hold 40,007 characters"):
        run(log.name, "--output", str(tmp_path / "x.xlsx"))
    assert not (tmp_path / "x.xlsx").exists()
