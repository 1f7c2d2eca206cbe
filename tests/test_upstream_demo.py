"""The demo holds a trust's DCB0160 log deploying the demo system, with the demo log's approved issue brought in
as its upstream source and some hazards evaluated (issue 13's "Done when")."""

import io

import openpyxl
from django.core.management import call_command

from hazardlog import issues
from hazardlog.management.commands.load_demo import DEMO_LOG
from hazardlog.models import HazardLog, Standard
from hazardlog.operations.integrity import find_problems
from upstream import presenters
from upstream.models import Applicability, Decision, Evaluation, TransferDecision, UpstreamSource


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", username="demo", password="a-long-demo-password", stdout=out)
    return out.getvalue()


def test_the_demo_deploys_the_demo_system_with_its_issue_brought_in(db):
    output = load_demo()
    demo = HazardLog.objects.get_by_natural_key(*DEMO_LOG)
    trust = HazardLog.objects.get(name=demo.name, standard=Standard.DCB0160)
    source = UpstreamSource.objects.get(log=trust)
    issue = issues.latest_issue(demo)
    assert (source.system, source.version) == (demo.name, issue.number)
    assert [copy.row for copy in source.hazards.all()] == type(issue).objects.get(pk=issue.pk).snapshot["hazards"]
    assert f"holds {source} with" in output
    counts = presenters.counts(trust)
    assert counts.hazards == demo.hazards.count()
    assert 0 < counts.not_evaluated < counts.hazards  # some evaluated, the rest left to explore
    assert counts.local == 1
    assert Evaluation.objects.filter(log=trust, applicable=Applicability.NO).exclude(reason="").exists()
    assert TransferDecision.objects.filter(evaluation__log=trust, decision=Decision.ACCEPTED).exists()
    assert trust.memberships.get().user.username == "demo"
    assert find_problems() == []


def test_loading_the_demo_again_adds_nothing(db):
    load_demo()
    before = (UpstreamSource.objects.count(), Evaluation.history.count(), TransferDecision.history.count())
    assert "already holds issue" in load_demo()
    assert (UpstreamSource.objects.count(), Evaluation.history.count(), TransferDecision.history.count()) == before


def report_text(content: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_a_dcb0160_safety_case_report_lists_the_manufacturers_logs_brought_in(db):
    from safetycase.report import draft_report

    load_demo()
    demo = HazardLog.objects.get_by_natural_key(*DEMO_LOG)
    trust = HazardLog.objects.get(name=demo.name, standard=Standard.DCB0160)
    source = UpstreamSource.objects.get(log=trust)
    text = report_text(draft_report(trust))
    assert "Manufacturers' hazard logs" in text
    assert source.sha256 in text and source.manufacturer in text and source.version in text
    assert "Manufacturers' hazard logs" not in report_text(draft_report(demo))  # a DCB0129 log has none


def test_the_manufacturer_s_reference_column_is_written_and_read_back_as_no_data(db):
    """The export derives it from the evaluations: importing the export again keeps no copy of it."""
    from django.contrib.auth import get_user_model

    from hazardlog.exports import export
    from hazardlog.imports import REPLACE_COVER, confirm_import, preview_import
    from hazardlog.models import Hazard, ImportStatus
    from hazardlog.workbook.layout import UPSTREAM_MARK_HEADER

    load_demo()
    demo = HazardLog.objects.get_by_natural_key(*DEMO_LOG)
    trust = HazardLog.objects.get(name=demo.name, standard=Standard.DCB0160)
    local = Hazard.objects.filter(log=trust, upstream_evaluation__isnull=False)
    assert local.exists()
    content = export(trust, "nhs")[0]
    sheet = openpyxl.load_workbook(io.BytesIO(content))["Hazard Log"]
    assert UPSTREAM_MARK_HEADER in [cell.value for cell in sheet[2]]
    user = get_user_model().objects.get(username="demo")
    record = preview_import(trust, "trust.xlsx", content, user)
    assert record.status == ImportStatus.PREVIEWED
    assert record.report["counts"]["create"] == 0 and record.report["counts"]["update"] == 0, record.report["counts"]
    confirm_import(record, user, cover=REPLACE_COVER)
    for hazard in local:
        hazard.refresh_from_db()
        assert UPSTREAM_MARK_HEADER not in [header for header, _ in hazard.additional_columns]
