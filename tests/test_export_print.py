"""The exported NHS workbook printed by a real client: LibreOffice converts it to PDF headless, and the
PDF's text must hold every word of every hazard (a row too low for its wrapped text is cut on paper)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hazardlog.models import Cause, Control, ControlKind, ControlType
from hazardlog.snapshot import build_snapshot
from hazardlog.workbook.writer import write_nhs_workbook
from tests import factories

SOFFICE = shutil.which("soffice")
POPPLER = shutil.which("pdftotext") and shutil.which("pdfinfo")
pytestmark = pytest.mark.skipif(
    not (SOFFICE and POPPLER),
    reason="LibreOffice (soffice) or poppler-utils is not installed: apt-get install libreoffice-calc-nogui "
    "poppler-utils",
)
WORDS = [
    "the",
    "dose",
    "shown",
    "differs",
    "from",
    "prescribed",
    "unit",
    "because",
    "conversion",
    "runs",
    "wrong",
    "direction",
    "on",
    "ward",
]


def prose(tag: str, sentences: int, lines: int = 1) -> str:
    """Sentences of ordinary words, each ending in a word found nowhere else (`tag` and a number), so the
    PDF's text shows whether the end of each sentence was printed."""
    made = [" ".join(WORDS[(i + k) % len(WORDS)] for k in range(9 + i % 5)) + f" {tag}x{i}." for i in range(sentences)]
    per_line = -(-sentences // lines)
    return "\n".join(" ".join(made[i : i + per_line]) for i in range(0, sentences, per_line))


def long_log(log):
    """Hazards whose texts run to many lines, in every kind of text column."""
    for h in range(1, 7):
        ref = f"P{h}"
        hazard = factories.make_hazard(
            log,
            ref,
            causes=0,
            name=prose(f"{ref}name", 1),
            description=prose(f"{ref}desc", 3 + h, lines=2),
            clinical_impact=prose(f"{ref}impact", 2 + h),
            actions=prose(f"{ref}actions", 2, lines=2),
            owner="Clinical safety team",
        )
        causes = [
            Cause.objects.create(hazard=hazard, number=n, description=prose(f"{ref}cause{n}", 2)) for n in (1, 2, 3)
        ]
        for number, control_type in enumerate((ControlType.DESIGN, ControlType.TRAINING), start=3):
            control = Control.objects.create(
                hazard=hazard,
                number=number,
                description=prose(f"{ref}control{number}", 2, lines=2),
                kind=ControlKind.ADDITIONAL,
                control_type=control_type,
            )
            control.causes.set(causes[: number - 1])
    return log


def printed(content: bytes, folder: Path) -> Path:
    """The workbook converted to PDF by LibreOffice, with a profile of its own (a shared one locks)."""
    source = folder / "export.xlsx"
    source.write_bytes(content)
    profile = (folder / "profile").as_uri()
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", folder, source],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return folder / "export.pdf"


def test_every_hazards_full_text_is_printed_on_landscape_a4(db, tmp_path):
    log = long_log(factories.make_log(name="Printed log"))
    snapshot = build_snapshot(log)
    pdf = printed(write_nhs_workbook(snapshot), tmp_path)

    text = subprocess.run(["pdftotext", pdf, "-"], check=True, capture_output=True, text=True).stdout
    printed_words = set(text.replace(".", " ").split())
    for hazard in snapshot.hazards:
        texts = [hazard.name, hazard.description, hazard.clinical_impact, hazard.actions]
        texts += [cause.description for cause in hazard.causes] + [c.description for c in hazard.controls]
        tags = {word.rstrip(".") for text in texts for word in text.split() if "x" in word and word[0] == "P"}
        assert tags, hazard.reference
        assert not tags - printed_words, f"Hazard {hazard.reference}: cut on paper: {sorted(tags - printed_words)}"

    pages = _page_sizes(pdf)
    # Cover page and version history portrait, each one page; the Hazard Log and the risk matrix landscape.
    assert pages[:2] == [(595, 842)] * 2 and set(pages[2:]) == {(842, 595)}, pages
    last = subprocess.run(["pdftotext", "-f", str(len(pages)), pdf, "-"], check=True, capture_output=True, text=True)
    assert "Risk matrix" in last.stdout and "Severity Classification" in last.stdout  # the matrix, on one page


def _page_sizes(pdf: Path) -> list[tuple[int, int]]:
    """Each page's (width, height) in points, rounded: A4 is 595 × 842."""
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", pdf], check=True, capture_output=True, text=True)
    sizes = re.findall(r"^Page +\d+ size: +([\d.]+) x ([\d.]+) pts", info.stdout, re.MULTILINE)
    return [(round(float(w)), round(float(h))) for w, h in sizes]
