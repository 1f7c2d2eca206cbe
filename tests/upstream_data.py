"""Builders for the hand-off's tests: a manufacturer's DCB0129 log approved as an issue, its JSON, and a
deploying organisation's DCB0160 log with the issue brought in."""

from hazardlog import issues
from hazardlog.models import Control, ControlKind, ControlType, Membership, Role, Stage, Standard
from tests import factories
from upstream import services
from upstream.bring_in import read_source

DEPLOYER = "Deploying organisation"


def transferred_control(hazard, number: int, description: str, control_type=ControlType.TRAINING) -> Control:
    return Control.objects.create(
        hazard=hazard,
        number=number,
        description=description,
        kind=ControlKind.ADDITIONAL,
        control_type=control_type,
        owner=DEPLOYER,
    )


def manufacturer_log(user, name="ePMA Supplier System"):
    """A DCB0129 log of three hazards, H1 with a control transferred to the deploying organisation."""
    log = factories.make_log(name=name, standard=Standard.DCB0129)
    Membership.objects.create(log=log, user=user, role=Role.CSO)
    h1 = factories.make_hazard(log, "H1", name="Wrong dose displayed")
    transferred_control(h1, 3, "Train prescribers to check the dose unit")
    factories.make_hazard(log, "H2", name="Allergy not shown")
    factories.make_hazard(log, "H3", name="Duplicate prescription")
    return log


def approve_1_1(maker, user):
    """The manufacturer's issue 1.1: one re-rated hazard (H2), one new hazard (H4), one new transferred control
    (on H3)."""
    factories.assess(maker.hazards.get(reference="H2"), Stage.RESIDUAL, "Catastrophic", "Medium")
    factories.make_hazard(maker, "H4", name="Infusion rate rounded")
    transferred_control(
        maker.hazards.get(reference="H3"), 3, "Check duplicates at ward rounds", ControlType.BUSINESS_PROCESS_CHANGE
    )
    return issues.approve_issue(maker, "1.1", "Release 1.1", user)


def issue_json(issue) -> bytes:
    return issues.canonical_json(issue.snapshot)


def deployer_log(user, name="Trust deployment of ePMA"):
    log = factories.make_log(name=name, standard=Standard.DCB0160)
    Membership.objects.create(log=log, user=user, role=Role.CSO)
    return log


def bring_in_issue(log, issue, user, manufacturer="Supplier Ltd", previous=None):
    content = issue_json(issue)
    reading = read_source("issue.json", content)
    return services.bring_in(
        log,
        reading,
        file_name=f"issue {issue.number}.json",
        content=content,
        manufacturer=manufacturer,
        system=issue.log.name,
        version=issue.number,
        issue_date=None,
        previous=previous,
        user=user,
    )


class CrawlState:
    """Upstream sources, evaluations and transfer decisions for tests/test_every_page.py: in the crawled log if
    it is a DCB0160 log (a first version, and a second that flags what changed, one evaluation started), and in
    a DCB0160 log of another team."""

    def __init__(self, state):
        from hazardlog.models import LogIssue

        issue = LogIssue.objects.get(pk=state.other_issue_id)
        outsider = state.users["outsider"]
        other = deployer_log(outsider, name="Other team's deployment")
        source, _ = bring_in_issue(other, issue, outsider)
        self.other_source_id = source.pk
        self.other_evaluation_id = source.hazards.first().evaluations.get().pk
        self.source_ids, self.evaluation_ids, self.transfer_ids = [], [], []
        if state.log.standard != Standard.DCB0160:
            return
        cso = state.users[Role.CSO]
        first, _ = bring_in_issue(state.log, issue, cso)
        snapshot = dict(issue.snapshot)
        hazard = dict(snapshot["hazards"][0])
        control = {**hazard["controls"][-1], "number": 9, "owner": DEPLOYER, "description": "Local training"}
        snapshot["hazards"] = [hazard | {"controls": [*hazard["controls"], control]}]
        content = issues.canonical_json(snapshot)
        second, _ = services.bring_in(
            state.log,
            read_source("issue.json", content),
            file_name="issue 1.1.json",
            content=content,
            manufacturer="Supplier Ltd",
            system=issue.log.name,
            version="1.1",
            issue_date=None,
            previous=first,
            user=cso,
        )
        from upstream.models import Evaluation, TransferDecision

        evaluations = list(Evaluation.objects.filter(log=state.log))
        services.start_evaluation(evaluations[0], cso)
        self.source_ids = [first.pk, second.pk]
        self.evaluation_ids = [e.pk for e in evaluations]
        self.transfer_ids = list(
            TransferDecision.objects.filter(evaluation__log=state.log).values_list("pk", flat=True)
        )


def one_of_each(user):
    """A row in every table of the hand-off: a source, its copies, evaluations and a transfer decision."""
    maker = manufacturer_log(user, name="Append-only supplier system")
    issue = issues.approve_issue(maker, "1.0", "Released", user)
    return bring_in_issue(deployer_log(user, name="Append-only deployment"), issue, user)[0]


def manufacturer_marks(content: bytes) -> dict[str, str]:
    """Hazard number → the "Manufacturer's reference" cell of an exported NHS workbook's Hazard Log sheet (read
    as a CSO would see it: our reader reads that column as derived, not data)."""
    import io

    import openpyxl

    from hazardlog.workbook import layout

    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True)[layout.HAZARD_SHEET]
    rows = list(sheet.iter_rows(min_row=layout.HEADER_ROW, values_only=True))
    column = list(rows[0]).index(layout.UPSTREAM_MARK_HEADER)
    return {row[0]: row[column] for row in rows[1:] if row[0] and row[column]}
