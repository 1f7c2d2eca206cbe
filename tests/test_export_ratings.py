"""The exported ratings in a real client (issue 11, item 6): LibreOffice shows the numbers, and a severity
changed in a copy of the export gives the matrix's new rating when LibreOffice recalculates it, as the
template's formula does in Excel. Skipped, saying so, where LibreOffice or poppler-utils is missing."""

import io
import re
import subprocess

import openpyxl

from hazardlog.models import Hazard
from hazardlog.snapshot import build_snapshot
from hazardlog.workbook import layout
from hazardlog.workbook.writer import write_nhs_workbook
from tests import factories
from tests.test_export_print import SOFFICE, printed, pytestmark  # noqa: F401 (the same skip)


def one_line_hazards(log):
    """Hazards short enough that each prints on one line: the line shows its levels and ratings side by side."""
    for reference, initial, residual in (
        ("R1", ("Catastrophic", "Very high"), ("Minor", "Very low")),
        ("R2", ("Major", "Low"), ("Significant", "Medium")),
        ("R3", ("Considerable", "High"), None),
    ):
        hazard = Hazard.objects.create(log=log, reference=reference, name=f"Name {reference}")
        factories.assess(hazard, "initial", *initial)
        if residual:
            factories.assess(hazard, "residual", *residual)
    return log


def test_libreoffice_prints_the_rating_numbers(db, tmp_path):
    log = one_line_hazards(factories.make_log(name="Ratings"))
    pdf = printed(write_nhs_workbook(build_snapshot(log)), tmp_path)
    page = ["-f", "3", "-l", "3"]  # the Hazard Log, after the cover page and the version history
    text = subprocess.run(["pdftotext", "-layout", *page, pdf, "-"], check=True, capture_output=True, text=True).stdout
    # Each hazard's printed lines (a rating is centred in its row, so it may be on the row's second line).
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        if match := re.match(r"\s*(R\d)\s", line):
            current = match.group(1)
        if (rows or match) and not line.strip().startswith("Page "):
            rows.setdefault(current, []).extend(line.split())
    ratings = {reference: [word for word in words[3:] if word.isdigit()] for reference, words in rows.items()}
    assert ratings == {"R1": ["5", "1"], "R2": ["3", "2"], "R3": ["3"]}, rows
    assert {"Catastrophic", "Very", "high", "Minor", "low"} <= set(rows["R1"])


def test_a_severity_changed_in_a_copy_gives_the_matrix_rating_when_libreoffice_recalculates(db, tmp_path):
    log = one_line_hazards(factories.make_log(name="Recalculated"))
    wb = openpyxl.load_workbook(io.BytesIO(write_nhs_workbook(build_snapshot(log))))
    ws = wb[layout.HAZARD_SHEET]
    assert [ws["A3"].value, ws["G3"].value, ws["H3"].value] == ["R1", "Catastrophic", "Very high"]
    ws["G3"] = "Minor"  # Minor × Very high is 3 in the matrix (domain.md §2)
    ws["N4"], ws["O4"] = "Catastrophic", "High"  # R2's residual: 5
    ws["N5"], ws["O5"] = "Significant", "Low"  # R3 had none: 2
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    out = tmp_path / "recalculated"
    profile = (tmp_path / "profile").as_uri()
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "xlsx", "--outdir", out, edited],
        check=True,
        capture_output=True,
        timeout=180,
    )
    saved = openpyxl.load_workbook(out / "edited.xlsx", data_only=True)[layout.HAZARD_SHEET]
    assert [saved["I3"].value, saved["P3"].value] == [3, 1]
    assert [saved["I4"].value, saved["P4"].value] == [3, 5]
    assert [saved["I5"].value, saved["P5"].value] == [3, 2]
