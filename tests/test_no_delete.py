"""Nothing in the clinical risk management file is ever hard-deleted (DCB0129 3.1): not from code, not from
the admin, not in bulk. Withdrawn causes and controls stay in the log."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from hazardlog.models import Cause, Control, HardDeleteRefused, Hazard, HazardLog, RiskAssessment
from tests import factories
from tests.admin_forms import change_form_data

MODELS = {"log": HazardLog, "hazard": Hazard, "cause": Cause, "control": Control, "assessment": RiskAssessment}


@pytest.fixture
def records(log):
    hazard = factories.make_hazard(log, "H1")
    return {
        "log": log,
        "hazard": hazard,
        "cause": hazard.causes.first(),
        "control": hazard.controls.first(),
        "assessment": hazard.assessments.first(),
    }


def admin_url(record, view: str) -> str:
    return reverse(f"admin:hazardlog_{record._meta.model_name}_{view}", args=[record.pk])


@pytest.mark.parametrize("kind", MODELS)
def test_deleting_a_record_is_refused(records, kind):
    record = records[kind]
    with pytest.raises(HardDeleteRefused, match="never deleted"):
        record.delete()
    assert MODELS[kind].objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("kind", MODELS)
def test_deleting_a_queryset_is_refused(records, kind):
    model = MODELS[kind]
    with pytest.raises(HardDeleteRefused):
        model.objects.filter(pk=records[kind].pk).delete()
    with pytest.raises(HardDeleteRefused):
        model.objects.all().delete()
    assert model.objects.filter(pk=records[kind].pk).exists()


def test_deleting_through_a_related_manager_is_refused(records):
    hazard = records["hazard"]
    for related in (records["log"].hazards, hazard.causes, hazard.controls, hazard.assessments):
        with pytest.raises(HardDeleteRefused):
            related.all().delete()
    assert hazard.causes.count() == 2
    assert hazard.controls.count() == 2
    assert hazard.assessments.count() == 2


@pytest.mark.parametrize("kind", MODELS)
def test_the_admin_delete_page_is_forbidden(admin_client, records, kind):
    record = records[kind]
    assert admin_client.get(admin_url(record, "delete")).status_code == 403
    assert admin_client.post(admin_url(record, "delete"), {"post": "yes"}).status_code == 403
    assert MODELS[kind].objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("kind", MODELS)
def test_the_admin_offers_no_bulk_delete(admin_client, admin_user, records, kind):
    model = MODELS[kind]
    request = RequestFactory().get("/")
    request.user = admin_user
    assert "delete_selected" not in admin.site._registry[model].get_actions(request)

    changelist = reverse(f"admin:hazardlog_{model._meta.model_name}_changelist")
    page = admin_client.get(changelist)
    assert page.status_code == 200
    action_form = page.context["action_form"]
    if action_form is not None:
        assert "delete_selected" not in dict(action_form.fields["action"].choices)

    posted = admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [records[kind].pk], "post": "yes"}
    )
    assert posted.status_code in (200, 302)
    assert model.objects.filter(pk=records[kind].pk).exists()


def test_the_hazard_change_form_cannot_delete_its_causes_controls_or_assessments(admin_client, records):
    hazard = records["hazard"]
    page = admin_client.get(admin_url(hazard, "change"))
    assert not any(inline.formset.can_delete for inline in page.context["inline_admin_formsets"])
    data = change_form_data(page)
    for prefix in ("causes", "controls", "assessments"):
        data[f"{prefix}-0-DELETE"] = "on"

    response = admin_client.post(admin_url(hazard, "change"), data)

    assert response.status_code == 302
    assert hazard.causes.count() == 2
    assert hazard.controls.count() == 2
    assert hazard.assessments.count() == 2


def test_withdrawn_causes_and_controls_are_kept(records):
    hazard, cause, control = records["hazard"], records["cause"], records["control"]
    for record in (cause, control):
        record.withdrawn = True
        record.withdrawn_reason = "Duplicate of another entry, found at review."
        record.full_clean()
        record.save()

    assert hazard.causes.get(pk=cause.pk).withdrawn
    assert hazard.controls.get(pk=control.pk).withdrawn
    assert control in cause.controls.all()
    assert cause.history.first().withdrawn
