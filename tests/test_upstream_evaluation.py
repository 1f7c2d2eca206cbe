"""The deploying organisation's evaluation of a manufacturer's hazards, and a new version of the manufacturer's
log: what changed is shown and flags exactly the evaluations resting on it (issue 13, parts 2 and 3)."""

import pytest
from django.test import Client
from django.urls import reverse

from hazardlog import issues
from hazardlog import services as hazard_services
from hazardlog.models import ControlKind, ControlType, Hazard, HazardLog, Membership, Role, Stage
from tests import factories, upstream_data
from tests.upstream_data import approve_1_1, bring_in_issue, deployer_log, manufacturer_log
from upstream import services
from upstream.models import Applicability, Decision, Evaluation, TransferDecision, UpstreamSource


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def handed_over(user):
    """Issue 1.0 of the manufacturer's log brought into the deployer's log."""
    maker = manufacturer_log(user)
    issue = issues.approve_issue(maker, "1.0", "Released", user)
    log = deployer_log(user)
    source, _ = bring_in_issue(log, issue, user)
    return maker, log, source


def _evaluation(log, reference) -> Evaluation:
    return Evaluation.objects.get(log=log, reference_key=reference.lower())


def _evaluate_everything(log, user):
    """Every hazard applies; H1's transferred control accepted; H2 gets a local control and local ratings."""
    for evaluation in Evaluation.objects.filter(log=log):
        services.decide_applicability(evaluation, Applicability.YES, "Used on every ward", user)
    decision = _evaluation(log, "H1").transfers.get()
    services.decide_transfer(
        decision,
        {"decision": Decision.ACCEPTED, "owner": "Pharmacy lead", "implementation_status": "implemented"},
        user,
    )
    local = services.start_evaluation(_evaluation(log, "H2"), user)
    matrix = log.matrix
    hazard_services.save_hazard(
        local,
        user=user,
        reason="Local evaluation",
        causes=[hazard_services.CauseChange(key=1, description="Agency staff unfamiliar with the system")],
        controls=[
            hazard_services.ControlChange(
                kind=ControlKind.ADDITIONAL,
                fields={"description": "Ward induction covers allergies", "control_type": ControlType.TRAINING},
                cause_keys=[1],
            )
        ],
        assessments=[
            hazard_services.AssessmentChange(
                Stage.INITIAL, matrix.severity_levels.get(name="Major"), matrix.likelihood_levels.get(name="Medium")
            ),
            hazard_services.AssessmentChange(
                Stage.RESIDUAL, matrix.severity_levels.get(name="Major"), matrix.likelihood_levels.get(name="Very low")
            ),
        ],
        revision=Hazard.objects.get(pk=local.pk).revision,
    )
    return local


@pytest.mark.django_db
def test_a_hazard_counts_as_evaluated_once_applicability_and_every_transfer_are_decided(handed_over, user):
    _, log, _ = handed_over
    client = _client(user)
    log_page = reverse("hazardlog:log_detail", args=[log.pk])
    assert "3 hazards from manufacturers: 3 not evaluated yet" in client.get(log_page).content.decode()
    h1 = _evaluation(log, "H1")
    response = client.post(reverse("upstream:applicability", args=[log.pk, h1.pk]), {"applicable": "yes"})
    assert response.status_code == 302
    assert "3 not evaluated yet" in client.get(log_page).content.decode()  # its transfer is still undecided
    transfer = h1.transfers.get()
    url = reverse("upstream:transfer_decide", args=[log.pk, h1.pk, transfer.pk])
    refused = client.post(url, {"decision": "rejected", "implementation_status": "proposed"})
    assert refused.status_code == 400 and "Enter why the transferred control is rejected" in refused.content.decode()
    refused = client.post(url, {"decision": "accepted", "implementation_status": "proposed"})
    assert refused.status_code == 400 and "Enter who in the deploying organisation" in refused.content.decode()
    assert TransferDecision.objects.get(pk=transfer.pk).decision == Decision.PENDING
    client.post(url, {"decision": "accepted", "owner": "Pharmacy lead", "implementation_status": "implemented"})
    assert "2 not evaluated yet" in client.get(log_page).content.decode()
    record = TransferDecision.objects.get(pk=transfer.pk).history.first()
    assert (record.history_user, record.history_change_reason) == (user, "Transferred control 3: Accepted")
    h2 = _evaluation(log, "H2")
    refused = client.post(reverse("upstream:applicability", args=[log.pk, h2.pk]), {"applicable": "no"})
    assert refused.status_code == 400 and "Enter why the hazard does not apply" in refused.content.decode()
    client.post(
        reverse("upstream:applicability", args=[log.pk, h2.pk]), {"applicable": "no", "reason": "No wards use it"}
    )
    assert "1 not evaluated yet" in client.get(log_page).content.decode()


@pytest.mark.django_db
def test_starting_an_evaluation_adds_a_local_hazard_marked_with_the_manufacturers_reference(handed_over, user):
    _, log, _ = handed_over
    client = _client(user)
    h2 = _evaluation(log, "H2")
    before = {name: getattr(HazardLog.objects.get(pk=log.pk), name) for name in ("version", "owner", "purpose")}
    response = client.post(reverse("upstream:evaluation_start", args=[log.pk, h2.pk]))
    assert response.status_code == 302
    local = Evaluation.objects.get(pk=h2.pk).local_hazard
    assert (local.log, local.name, local.upstream_evaluation) == (log, "Allergy not shown", h2)
    assert not local.causes.exists() and not local.controls.exists() and not local.assessments.exists()
    record = local.history.get()
    assert record.history_user == user and "H2 started" in record.history_change_reason
    client.post(reverse("upstream:evaluation_start", args=[log.pk, h2.pk]))  # a second start adds nothing
    assert Hazard.objects.filter(log=log).count() == 1
    hazard_list = client.get(reverse("hazardlog:log_detail", args=[log.pk])).content.decode()
    assert "From Supplier Ltd H2" in hazard_list
    assert "1 local hazard below from evaluations" in hazard_list
    hazard_page = client.get(reverse("hazardlog:hazard_detail", args=[log.pk, local.pk])).content.decode()
    assert "evaluation of the manufacturer's hazard Supplier Ltd ePMA Supplier System H2" in hazard_page
    assert reverse("upstream:evaluation", args=[log.pk, h2.pk]) in hazard_page
    assert {name: getattr(HazardLog.objects.get(pk=log.pk), name) for name in ("version", "owner", "purpose")} == before


@pytest.mark.django_db
def test_the_evaluation_page_shows_the_manufacturers_ratings_beside_the_local_ones(handed_over, user):
    _, log, _ = handed_over
    _evaluate_everything(log, user)
    page = _client(user).get(reverse("upstream:evaluation", args=[log.pk, _evaluation(log, "H2").pk])).content.decode()
    assert "3 (Major / Medium)" in page  # the manufacturer's initial rating
    assert "3 (Major / Low)" in page  # the manufacturer's residual rating
    assert "Local residual rating" in page and "Major / Very low" in page
    assert "Ward induction covers allergies" in page
    assert "Evaluated" in page


@pytest.mark.django_db
def test_roles(handed_over, user, django_user_model):
    _, log, _ = handed_over
    viewer = django_user_model.objects.create_user("viewer", password="x" * 12)
    editor = django_user_model.objects.create_user("editor", password="x" * 12)
    outsider = django_user_model.objects.create_user("outsider", password="x" * 12)
    Membership.objects.create(log=log, user=viewer, role=Role.VIEWER)
    Membership.objects.create(log=log, user=editor, role=Role.EDITOR)
    h1 = _evaluation(log, "H1")
    page = reverse("upstream:evaluation", args=[log.pk, h1.pk])
    assert _client(viewer).get(page).status_code == 200
    assert _client(outsider).get(page).status_code == 404
    assert _client(viewer).post(reverse("upstream:evaluation_start", args=[log.pk, h1.pk])).status_code == 403
    assert _client(viewer).get(reverse("upstream:applicability", args=[log.pk, h1.pk])).status_code == 403
    assert _client(editor).post(reverse("upstream:evaluation_start", args=[log.pk, h1.pk])).status_code == 302
    assert Evaluation.objects.get(pk=h1.pk).local_hazard is not None


@pytest.mark.django_db
def test_a_new_version_flags_exactly_what_changed_and_keeps_everything_local(handed_over, user):
    maker, log, first = handed_over
    local = _evaluate_everything(log, user)
    local_before = hazard_services.snapshot.hazard_row(local)
    decisions_before = list(TransferDecision.objects.values_list("pk", "decision", "owner", "implementation_status"))
    issue = approve_1_1(maker, user)

    second, diff = bring_in_issue(log, issue, user, previous=first)

    assert [h.reference for h in diff.issues.added] == ["H4"]
    assert [(r.reference, r.stage) for r in diff.issues.rerated] == [("H2", "Residual")]
    assert [(t.reference, t.control) for t in diff.new_transfers] == [
        ("H3", "Control 3 (additional, Business Process Change)")
    ]
    flagged = Evaluation.objects.filter(log=log, needs_review=True).order_by("reference_key")
    assert [e.reference for e in flagged] == ["H2", "H3", "H4"]
    what = {e.reference: e.what_changed for e in flagged}
    assert "Residual risk re-rated: Major / Low → 3 became Catastrophic / Medium → 4." in what["H2"]
    assert what["H3"].endswith(
        "Newly transferred to the deploying organisation: Control 3 (additional, Business Process Change)."
    )
    assert what["H4"] == "New in version 1.1."
    # Nothing local lost or overwritten: the local hazard, the decisions, the applicability.
    assert hazard_services.snapshot.hazard_row(Hazard.objects.get(pk=local.pk)) == local_before
    assert set(decisions_before) <= set(
        TransferDecision.objects.values_list("pk", "decision", "owner", "implementation_status")
    )
    assert _evaluation(log, "H2").applicable == Applicability.YES
    assert _evaluation(log, "H2").upstream_hazard.source == second
    assert _evaluation(log, "H3").transfers.get(control_number=3).decision == Decision.PENDING

    client = _client(user)
    page = client.get(reverse("upstream:source_detail", args=[log.pk, second.pk])).content.decode()
    assert "Changes since version 1.0" in page and "Check duplicates at ward rounds" in page
    assert (
        "2 not evaluated yet, 3 to review"
        in client.get(reverse("hazardlog:log_detail", args=[log.pk])).content.decode()
    )

    h2 = _evaluation(log, "H2")
    review = reverse("upstream:review", args=[log.pk, h2.pk])
    assert client.post(review, {}).status_code == 400
    assert client.post(review, {"reason": "Residual risk still acceptable with local training"}).status_code == 302
    h2.refresh_from_db()
    assert not h2.needs_review and h2.what_changed == ""
    record = h2.history.first()
    assert record.history_user == user
    assert "Residual risk re-rated" in record.history_change_reason
    assert "still acceptable with local training" in record.history_change_reason
    assert client.get(review).status_code == 404  # no longer flagged


@pytest.mark.django_db
def test_only_the_cso_marks_a_flag_as_reviewed(handed_over, user, django_user_model):
    maker, log, first = handed_over
    bring_in_issue(log, approve_1_1(maker, user), user, previous=first)
    editor = django_user_model.objects.create_user("editor", password="x" * 12)
    Membership.objects.create(log=log, user=editor, role=Role.EDITOR)
    h4 = _evaluation(log, "H4")
    assert _client(editor).post(reverse("upstream:review", args=[log.pk, h4.pk]), {"reason": "x"}).status_code == 403
    assert Evaluation.objects.get(pk=h4.pk).needs_review


@pytest.mark.django_db
def test_a_version_is_superseded_once_and_brought_in_once(handed_over, user):
    maker, log, first = handed_over
    issue = approve_1_1(maker, user)
    bring_in_issue(log, issue, user, previous=first)
    with pytest.raises(Exception, match="already superseded"):
        bring_in_issue(log, issue, user, previous=first)
    with pytest.raises(Exception, match="Choose the version it supersedes"):
        bring_in_issue(log, issue, user)
    second = UpstreamSource.objects.get(version="1.1")
    with pytest.raises(Exception, match="already brought in"):
        bring_in_issue(log, issue, user, previous=second)


@pytest.mark.django_db
def test_the_deployers_workbook_marks_local_hazards_with_the_manufacturers_reference(handed_over, user):
    from hazardlog import exports
    from upstream.bring_in import read_source

    _, log, _ = handed_over
    local = _evaluate_everything(log, user)
    own = factories.make_hazard(log, "T9", name="Local network outage")
    content, _, _ = exports.export(log, "nhs")
    assert upstream_data.manufacturer_marks(content) == {
        local.reference: "Supplier Ltd ePMA Supplier System version 1.0: H2"  # and none on the deployer's own
    }
    rows = {row["reference"]: row for row in read_source("deployer.xlsx", content).hazards}
    assert all(row["additional_columns"] == [] for row in rows.values())  # derived: read back as no data
    assert set(rows) == {local.reference, own.reference}  # the manufacturer's copies are not the deployer's hazards


@pytest.mark.django_db
def test_the_sources_a_safety_case_report_lists(handed_over, user):
    from django.utils import timezone

    from upstream.export import sources_at

    maker, log, first = handed_over
    moment = timezone.now()
    bring_in_issue(log, approve_1_1(maker, user), user, previous=first)
    assert [s["version"] for s in sources_at(log)] == ["1.0", "1.1"]
    assert [(s["manufacturer"], s["version"], s["sha256"]) for s in sources_at(log, moment)] == [
        ("Supplier Ltd", "1.0", first.sha256)
    ]


@pytest.mark.django_db
def test_a_flag_not_yet_reviewed_keeps_what_an_earlier_version_changed(handed_over, user):
    maker, log, first = handed_over
    second, _ = bring_in_issue(log, approve_1_1(maker, user), user, previous=first)
    h2 = maker.hazards.get(reference="H2")
    h2.name = "Allergy not shown on the drug chart"
    h2.save()
    bring_in_issue(log, issues.approve_issue(maker, "1.2", "Release 1.2", user), user, previous=second)
    what = _evaluation(log, "H2").what_changed
    assert what.startswith("Residual risk re-rated") and what.endswith("Changed: hazard name.")
