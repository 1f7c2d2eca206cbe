"""The demo hazard log (fixtures/demo_log.json) and `manage.py load_demo`, which `make demo` runs."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from hazardlog import risk
from hazardlog.management.commands.load_demo import DEMO_LOG
from hazardlog.models import (
    Cause,
    Control,
    ControlKind,
    ControlType,
    Hazard,
    HazardLog,
    HazardStatus,
    Membership,
    RiskAssessment,
    RiskCell,
    Role,
    Stage,
)
from tests import factories

DEMO_MODELS = (HazardLog, Hazard, Cause, Control, RiskAssessment)
# The demo's own log (load_demo also makes the DCB0160 log of a trust deploying it: tests/test_upstream_demo.py).
OF_DEMO_LOG = {HazardLog: "standard", Hazard: "log__standard", Cause: "hazard__log__standard",
               Control: "hazard__log__standard", RiskAssessment: "hazard__log__standard"}  # fmt: skip


@pytest.fixture
def demo_log(db):
    call_command("loaddata", "nhs_risk_matrix", "demo_log", verbosity=0)
    return HazardLog.objects.get_by_natural_key(*DEMO_LOG)


def counts() -> dict:
    return {model.__name__: model.objects.count() for model in DEMO_MODELS} | {
        "links": Control.causes.through.objects.count()
    }


def test_the_demo_log_has_the_cover_page_filled(demo_log):
    for field in (
        "clinical_safety_officer",
        "programme",
        "sub_programme",
        "programme_director",
        "owner",
        "author",
        "document_reference",
        "document_status",
        "version",
        "version_date",
        "purpose",
    ):
        assert getattr(demo_log, field), f"{field} is empty"
    assert demo_log.standard == "DCB0129"


def test_the_demo_log_covers_every_status_control_type_and_kind(demo_log):
    hazards = demo_log.hazards.all()
    assert hazards.count() >= 8
    assert set(hazards.values_list("status", flat=True)) == set(HazardStatus.values)
    controls = Control.objects.filter(hazard__log=demo_log)
    assert set(controls.values_list("control_type", flat=True)) >= set(ControlType.values)
    assert set(controls.values_list("kind", flat=True)) == set(ControlKind.values)
    for hazard in hazards.exclude(status=HazardStatus.OPEN):
        assert hazard.status_reason.strip(), f"{hazard.reference} has no reason for its status"
    for hazard in hazards.filter(status=HazardStatus.TRANSFERRED):
        assert "deploying organisation" in hazard.status_reason
        assert "NHS" in hazard.status_reason


def test_every_demo_hazard_has_causes_controls_and_both_assessments(demo_log):
    for hazard in demo_log.hazards.annotate(cause_count=Count("causes", distinct=True)):
        assert 2 <= hazard.cause_count <= 4, hazard.reference
        assert set(hazard.assessments.values_list("stage", flat=True)) == set(Stage.values), hazard.reference
        assert hazard.controls.filter(kind=ControlKind.EXISTING).exists(), hazard.reference
        for control in hazard.controls.all():
            assert control.causes.exists(), f"{hazard.reference} control {control.number} answers no cause"
            assert set(control.causes.values_list("hazard", flat=True)) == {hazard.pk}
    links = Control.objects.filter(hazard__log=demo_log).annotate(answers=Count("causes"))
    assert links.filter(answers__gt=1).exists()


def test_every_stored_rating_is_the_matrix_cell(demo_log):
    assessments = RiskAssessment.objects.filter(hazard__log=demo_log).select_related("severity", "likelihood")
    assert assessments.count() == 2 * demo_log.hazards.count()
    for assessment in assessments:
        assert assessment.rating_id == risk.rate(assessment.severity, assessment.likelihood).pk


def test_derived_fields_are_stored_as_save_would_store_them(demo_log):
    # loaddata saves raw, so the fixture itself must hold reference_key and any other derived column.
    skip = {"updated_at", "revision"}
    for hazard in demo_log.hazards.all():
        fields = [f.attname for f in Hazard._meta.concrete_fields if f.attname not in skip]
        loaded = [getattr(hazard, name) for name in fields]
        hazard.save()
        hazard.refresh_from_db()
        assert [getattr(hazard, name) for name in fields] == loaded, hazard.reference


def test_references_include_ones_that_sort_differently_as_text(demo_log):
    references = set(demo_log.hazards.values_list("reference", flat=True))
    assert {"EPMA-002", "EPMA-010"} <= references


def test_loading_the_fixture_twice_duplicates_nothing(demo_log):
    before = counts()
    call_command("loaddata", "nhs_risk_matrix", "demo_log", verbosity=0)
    assert counts() == before


def load_demo(password="a-long-demo-password"):
    call_command("load_demo", username="demo", password=password, stdout=io.StringIO())


def test_load_demo_twice_leaves_one_log_history_and_cso_membership(db):
    load_demo()
    first = counts()
    load_demo(password="changed-demo-password")

    assert counts() == first
    user = get_user_model().objects.get(username="demo")
    assert user.is_superuser and user.is_staff and user.is_active
    assert user.check_password("changed-demo-password")
    log = HazardLog.objects.get_by_natural_key(*DEMO_LOG)
    assert Membership.objects.filter(user=user, log__standard=log.standard).count() == 1
    assert Membership.objects.get(user=user, log__standard=log.standard).log == log
    assert Membership.objects.get(user=user, log=log).role == Role.CSO
    for hazard in log.hazards.all():
        assert hazard.history.count() == 1, hazard.reference
    for model in DEMO_MODELS:
        of_demo_log = {OF_DEMO_LOG[model]: DEMO_LOG[1]}
        history = model.history.filter(**of_demo_log)
        if model is HazardLog:  # issue 1.0 sets the cover; the reload puts the fixture's back, then the issue's
            approval = {"Issue 1.0 approved", "Demo data reloaded", "Demo data reloaded: cover as issue 1.0 approved"}
            assert set(history.filter(history_type="~").values_list("history_change_reason", flat=True)) == approval
            history = history.filter(history_type="+")
        assert history.count() == model.objects.filter(**of_demo_log).count(), model.__name__
        assert {(row.history_type, row.history_user_id, row.history_change_reason) for row in history} == {
            ("+", user.pk, "Demo data loaded")
        }, model.__name__


def test_the_demo_log_cover_shows_its_approved_issue_after_loading_again(db):
    load_demo()
    load_demo()
    log = HazardLog.objects.get_by_natural_key(*DEMO_LOG)
    assert (log.version, log.document_status) == ("1.0", "Approved")
    assert log.version_date == timezone.localdate(log.issues.get().approved_at)


def test_load_demo_records_which_causes_a_control_answered(db):
    load_demo()
    for control in Control.objects.filter(hazard__log__standard=DEMO_LOG[1]):
        recorded = control.history.get().causes.values_list("cause_id", flat=True)
        assert set(recorded) == set(control.causes.values_list("pk", flat=True))


def test_reloading_the_demo_after_an_edit_restores_it_and_records_the_change(db):
    load_demo()
    hazard = Hazard.objects.get(reference="EPMA-002")
    published_name = hazard.name
    hazard.name = "Renamed during a demonstration"
    hazard.save()

    load_demo()

    hazard.refresh_from_db()
    assert hazard.name == published_name
    latest = hazard.history.first()
    assert latest.name == published_name
    assert latest.history_type == "~"
    assert latest.history_change_reason == "Demo data reloaded"
    assert hazard.history.count() == 3


def test_reloading_the_nhs_matrix_re_rates_assessments_of_other_logs(log):
    load_demo()
    hazard = factories.make_hazard(log, initial=("Major", "Low"))
    cell = RiskCell.objects.get(matrix=log.matrix, severity__name="Major", likelihood__name="Low")
    cell.rating = log.matrix.ratings.get(number=4)
    cell.save()
    assert hazard.assessment(Stage.INITIAL).rating.number == 4

    load_demo()

    assert RiskCell.objects.get(pk=cell.pk).rating.number == 3
    assert RiskAssessment.objects.get(hazard=hazard, stage=Stage.INITIAL).rating.number == 3
    assert RiskCell.objects.get(pk=cell.pk).history.first().history_change_reason == "NHS risk matrix reloaded"


def test_the_demo_login_can_approve_an_issue_of_the_demo_log_in_its_own_name(db):
    load_demo()
    user = get_user_model().objects.get(username="demo")
    log = HazardLog.objects.get_by_natural_key(*DEMO_LOG)
    issue = log.issues.get()  # load_demo approves issue 1.0 (safetycase/demo.py)
    assert issue.number == "1.0" and issue.approved_by == user and user.get_full_name() == "Priya Raman"
