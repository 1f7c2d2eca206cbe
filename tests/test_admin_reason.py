"""Every change made in the admin says why: a required "Reason for the change" that becomes the history's
change reason, for the record and for every inline record saved with it, with the admin user."""

import pytest
from django.urls import reverse

from hazardlog.models import Cause, Membership, Role
from tests import factories
from tests.admin_forms import REASON, change_form_data


def matrix_record(name):
    return lambda matrix, user: getattr(matrix, name).first()


# One record of each model the admin changes; the matrix ones with no log using the matrix (else read-only).
RECORDS = {
    "riskmatrix": lambda matrix, user: matrix,
    "severitylevel": matrix_record("severity_levels"),
    "likelihoodlevel": matrix_record("likelihood_levels"),
    "riskrating": matrix_record("ratings"),
    "riskcell": matrix_record("cells"),
    "hazardlog": lambda matrix, user: factories.make_log(matrix=matrix),
    "hazard": lambda matrix, user: factories.make_hazard(factories.make_log(matrix=matrix), "H1"),
    "cause": lambda matrix, user: factories.make_hazard(factories.make_log(matrix=matrix), "H1").causes.first(),
    "control": lambda matrix, user: factories.make_hazard(factories.make_log(matrix=matrix), "H1").controls.first(),
    "riskassessment": lambda matrix, user: factories.make_hazard(factories.make_log(matrix=matrix)).assessments.first(),
    "membership": lambda matrix, user: Membership.objects.create(
        log=factories.make_log(matrix=matrix), user=user, role=Role.VIEWER
    ),
}


def change_url(record) -> str:
    return reverse(f"admin:hazardlog_{record._meta.model_name}_change", args=[record.pk])


@pytest.mark.parametrize("kind", RECORDS)
def test_a_change_without_a_reason_is_refused(admin_client, matrix, user, kind):
    record = RECORDS[kind](matrix, user)
    before = record.history.count()
    page = admin_client.get(change_url(record))
    assert "Reason for the change" in page.content.decode()

    response = admin_client.post(change_url(record), change_form_data(page, reason=""))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["change_reason"] == ["Enter the reason for the change."]
    assert record.history.count() == before


@pytest.mark.parametrize("kind", RECORDS)
def test_the_reason_and_the_user_are_in_the_history(admin_client, admin_user, matrix, user, kind):
    record = RECORDS[kind](matrix, user)
    url = change_url(record)

    response = admin_client.post(url, change_form_data(admin_client.get(url)))

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    latest = record.history.first()
    assert (latest.history_type, latest.history_change_reason, latest.history_user) == ("~", REASON, admin_user)


def test_inline_records_saved_with_a_hazard_carry_its_reason(admin_client, admin_user, log):
    hazard = factories.make_hazard(log, "H1")
    url = change_url(hazard)
    data = change_form_data(admin_client.get(url), reason="Cause and control reworded after the hazard workshop")
    data["causes-0-description"] = "Patient search returns a near match"
    data["controls-0-description"] = "Search results show NHS number and date of birth"
    data["assessments-0-rationale"] = "Near matches are common in busy clinics"
    data["causes-TOTAL_FORMS"] = "3"
    data["causes-2-number"] = "3"
    data["causes-2-description"] = "Two records merged in error"

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    saved = [
        hazard,
        hazard.causes.get(number=1),
        hazard.causes.get(number=3),
        hazard.controls.get(number=1),
        hazard.assessments.get(stage="initial"),
    ]
    reasons = {
        (r._meta.model_name, r.history.first().history_change_reason, r.history.first().history_user) for r in saved
    }
    assert reasons == {
        (name, "Cause and control reworded after the hazard workshop", admin_user)
        for name in ("hazard", "cause", "control", "riskassessment")
    }
    assert hazard.causes.get(number=3).history.first().history_type == "+"
    # Records the form did not change get no new history.
    assert hazard.causes.get(number=2).history.count() == 1


def test_adding_in_the_admin_records_the_reason(admin_client, admin_user, log):
    hazard = factories.make_hazard(log, "H1")
    url = reverse("admin:hazardlog_cause_add")
    data = {"hazard": hazard.pk, "number": "3", "description": "Two records merged in error"}

    refused = admin_client.post(url, data)
    added = admin_client.post(url, {**data, "change_reason": "Found at the hazard workshop"})

    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["change_reason"] == ["Enter the reason for the change."]
    assert added.status_code == 302
    created = Cause.objects.get(hazard=hazard, number=3).history.get()
    assert (created.history_type, created.history_change_reason, created.history_user) == (
        "+",
        "Found at the hazard workshop",
        admin_user,
    )


def test_a_read_only_record_asks_for_no_reason(admin_client, matrix):
    factories.make_log(matrix=matrix)  # the matrix is in use: read-only in the admin
    page = admin_client.get(change_url(matrix))
    assert page.context["has_change_permission"] is False
    assert "Reason for the change" not in page.content.decode()
