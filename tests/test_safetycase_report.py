"""The Clinical Safety Case Report of an approved issue: DOCX (read back with python-docx) and PDF (read back
with pdftotext), from the issue's frozen snapshot and the safety case as it was at approval."""

import io
import shutil
import subprocess

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from docx import Document

from hazardlog import issues
from hazardlog.models import Membership, Role
from safetycase.models import FrozenReport, SafetyCase
from safetycase.report import frozen_report, safety_case_report
from safetycase.sections import SECTIONS
from tests import factories
from tests.safetycase_data import complete_log

pytestmark = pytest.mark.django_db
PDF_TOOLS = shutil.which("soffice") and shutil.which("pdftotext")


@pytest.fixture
def issued(user):
    log = complete_log(clinical_safety_officer="Dr Alex Clinician")
    Membership.objects.create(log=log, user=user, role=Role.CSO)
    factories.make_signatory(user, job_title="Chief Clinical Information Officer")
    return issues.approve_issue(log, "1.0", "Approved for release 4.2", user)


def docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    texts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        texts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(texts)


def assert_whole_report(text: str, issue):
    for hazard in issue.snapshot["hazards"]:
        assert hazard["reference"] in text
        assert hazard["name"] in text
    for section in SECTIONS:
        assert section.title in text
        assert f"Text of {section.title}." in text
    assert "issue 1.0" in text
    assert "Alex Clinician" in text
    assert "NMC 12A3456E" in text  # the CSO's registration, as at signing
    assert issue.workbook_sha256 in "".join(text.split())  # a PDF may wrap it in its table cell


def test_the_docx_holds_every_hazard_section_the_issue_the_cso_and_the_checksum(issued):
    text = docx_text(safety_case_report(issued, "docx"))
    assert_whole_report(text, issued)
    assert (
        "Approved as Clinical Safety Officer: Alex Clinician (NMC 12A3456E), Chief Clinical Information Officer" in text
    )
    assert "Approved for release 4.2" in text
    assert "This is the first issue of the hazard log." in text
    assert "DCB0129 4.4.1" in text  # the compliance answers, by clause


def test_the_report_shows_the_safety_case_as_it_was_at_approval(issued, user):
    case = SafetyCase.objects.get(log=issued.log)
    case.introduction = "Rewritten after the approval"
    case._history_user, case._change_reason = user, "Later"
    case.save()
    factories.make_hazard(issued.log, "H7", name="Added after the approval")
    text = docx_text(safety_case_report(issued, "docx"))
    assert "Text of Introduction." in text
    assert "Rewritten after the approval" not in text
    assert "Added after the approval" not in text


def test_the_second_issue_lists_the_changes_since_the_first(issued, user):
    factories.make_hazard(issued.log, "H3", name="Dose rounding hazard", owner="Lead")
    second = issues.approve_issue(issued.log, "1.1", "Release 4.3", user)
    text = docx_text(safety_case_report(second, "docx"))
    assert "Since issue 1.0:" in text
    assert "H3 Dose rounding hazard" in text
    assert "H3: the initial risk assessment has no rationale." in text  # the findings of the new hazard


@pytest.mark.skipif(
    not PDF_TOOLS,
    reason="LibreOffice (soffice) or pdftotext is not installed: "
    "apt-get install libreoffice-writer-nogui poppler-utils",
)
def test_the_pdf_has_the_same_content_and_is_frozen_on_its_first_request(issued, tmp_path):
    assert not FrozenReport.objects.filter(issue=issued, format="pdf").exists()  # not made at approval
    pdf = frozen_report(issued, "pdf")
    assert pdf.sha256 == issues.sha256(bytes(pdf.content)) and not pdf.at_approval
    assert frozen_report(issued, "pdf").pk == pdf.pk  # converted once, then served as frozen
    path = tmp_path / "report.pdf"
    path.write_bytes(bytes(pdf.content))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout
    assert_whole_report(" ".join(text.split()).replace("- ", "-"), issued)


def test_the_issue_page_offers_the_report_and_serves_it(client, issued, user):
    client.force_login(user)
    page = client.get(reverse("hazardlog:issue_list", args=[issued.log.pk])).text
    url = reverse("safetycase:report_download", args=[issued.log.pk, issued.pk, "docx"])
    assert url in page
    response = client.get(url)
    assert response.status_code == 200
    assert "clinical_safety_case_report_issue_1.0.docx" in response["Content-Disposition"]
    assert issued.workbook_sha256 in docx_text(response.content)
    assert client.get(reverse("safetycase:report_download", args=[issued.log.pk, issued.pk, "odt"])).status_code == 404


def test_the_command_writes_the_report(issued, tmp_path):
    path = tmp_path / "cscr.docx"
    call_command("safety_case_report", issued.log.name, "--issue", "1.0", "--output", str(path))
    assert issued.workbook_sha256 in docx_text(path.read_bytes())
    with pytest.raises(CommandError, match=r"has no approved issue 2\.0 \(its issues: 1\.0\)"):
        call_command("safety_case_report", issued.log.name, "--issue", "2.0", "--output", str(path))
