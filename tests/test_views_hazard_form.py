"""Adding and editing a hazard: one page with its causes, controls and both risk assessments."""

import re

import pytest
from django.forms import RadioSelect, Select
from django.urls import reverse

from hazardlog.models import Cause, Control, ControlKind, Hazard, Stage
from tests import factories


def browser_data(editor) -> dict:
    """What a browser would post for the page as shown: every field's current value."""
    data = {}
    forms = [editor.form, *editor.assessments.values()]
    for formset in (editor.causes, editor.existing, editor.additional):
        forms.append(formset.management_form)
        forms.extend(formset.forms)
    for form in forms:
        for field in form:
            value = field.value()
            widget = field.field.widget
            if value in (None, "") and isinstance(widget, Select) and not isinstance(widget, RadioSelect):
                value = next(iter(field.field.choices))[0]  # a browser sends a select's first option
            if value is None or value is False or value == "" or value == []:
                continue
            data[field.html_name] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return data


def open_form(client, url) -> dict:
    response = client.get(url)
    assert response.status_code == 200
    return browser_data(response.context["editor"])


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def new_hazard_data(client, log) -> dict:
    """The new-hazard page after "Add another cause" and "Add another additional control", filled in:
    two causes, one existing and two additional controls, both assessments."""
    url = reverse("hazardlog:hazard_create", args=[log.pk])
    data = open_form(client, url)
    for button in ("add_cause", "add_additional"):
        response = client.post(url, {**data, button: "1"})
        data = browser_data(response.context["editor"])
    data.update(
        {
            "reference": "H7",
            "name": "Wrong patient's record shown",
            "description": "Two records open in two tabs.",
            "clinical_impact": "Drug given to the wrong patient.",
            "causes-0-description": "Patient search returns a near match first",
            "causes-1-description": "Second tab keeps the old context",
            "existing-0-description": "Banner with name, NHS number and date of birth",
            "existing-0-answers": ["1", "2"],
            "initial-severity": "4",  # Major
            "initial-likelihood": "3",  # Medium → 3
            "additional-0-description": "Single patient context across tabs",
            "additional-0-control_type": "design",
            "additional-0-answers": ["2"],
            "additional-1-description": "Training on checking identity",
            "additional-1-control_type": "training",
            "additional-1-answers": ["1"],
            "additional-1-owner": "Deploying organisation",
            "residual-severity": "4",
            "residual-likelihood": "1",  # Very low → 2
            "owner": "Supplier",
            "status": "open",
        }
    )
    return data


def test_a_hazard_is_added_with_its_causes_controls_and_assessments(signed_in, member_log, user):
    data = new_hazard_data(signed_in, member_log)
    response = signed_in.post(reverse("hazardlog:hazard_create", args=[member_log.pk]), data)
    hazard = Hazard.objects.get(log=member_log, reference="H7")
    assert response.status_code == 302
    assert response["Location"] == reverse("hazardlog:hazard_detail", args=[member_log.pk, hazard.pk])
    causes = {c.number: c.description for c in hazard.causes.all()}
    assert causes == {1: "Patient search returns a near match first", 2: "Second tab keeps the old context"}
    controls = {c.description: c for c in hazard.controls.all()}
    assert len(controls) == 3
    banner = controls["Banner with name, NHS number and date of birth"]
    assert banner.kind == ControlKind.EXISTING and {c.number for c in banner.causes.all()} == {1, 2}
    training = controls["Training on checking identity"]
    assert (training.kind, training.control_type, training.owner) == (
        "additional",
        "training",
        "Deploying organisation",
    )
    assert [c.number for c in training.causes.all()] == [1]
    assert hazard.assessment(Stage.INITIAL).rating.number == 3
    assert hazard.assessment(Stage.RESIDUAL).rating.number == 2
    assert hazard.history.first().history_user == user

    page = signed_in.get(response["Location"]).content.decode()
    assert "3 Undesirable" in page and "2 Tolerable" in page
    assert "Second tab keeps the old context" in page


def test_add_another_cause_works_without_javascript_and_saves_nothing(signed_in, member_log):
    url = reverse("hazardlog:hazard_create", args=[member_log.pk])
    data = {**open_form(signed_in, url), "name": ""}
    response = signed_in.post(url, {**data, "add_cause": "1"})
    editor = response.context["editor"]
    assert response.status_code == 200
    assert [form.key for form in editor.causes.forms] == [1, 2]
    assert editor.summary() == []  # a half-filled page is not judged yet
    assert re.search(r"<textarea name=\"causes-1-description\"[^>]* autofocus", response.content.decode())
    assert [label for _, label in editor.existing.forms[0].fields["answers"].choices] == ["Cause 1", "Cause 2"]
    assert not Hazard.objects.filter(log=member_log).exists()


def test_errors_name_their_field_and_the_title_says_error(signed_in, member_log):
    url = reverse("hazardlog:hazard_create", args=[member_log.pk])
    data = {
        **new_hazard_data(signed_in, member_log),
        "name": "",
        "initial-likelihood": "",
        "additional-0-control_type": "",
        "status": "closed",
    }
    response = signed_in.post(url, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: Add a hazard" in page
    texts = [error.text for error in response.context["errors"]]
    assert texts == [
        "Enter the hazard name",
        "Choose the initial likelihood",
        "Choose the type of additional control 1",
        "Reason for the status: Enter why the hazard is closed.",
    ]
    assert response.context["errors"][0].href == "#id_name"
    assert not Hazard.objects.filter(log=member_log).exists()


def test_a_control_cannot_answer_a_cause_left_empty(signed_in, member_log):
    data = {**new_hazard_data(signed_in, member_log), "causes-1-description": ""}
    response = signed_in.post(reverse("hazardlog:hazard_create", args=[member_log.pk]), data)
    texts = [error.text for error in response.context["errors"]]
    assert "Existing control 1 answers cause 2, which is empty: describe it or untick it" in texts
    assert not Hazard.objects.filter(log=member_log).exists()


def test_a_reference_already_in_the_log_is_refused(signed_in, member_log):
    factories.make_hazard(member_log, "H7")
    response = signed_in.post(
        reverse("hazardlog:hazard_create", args=[member_log.pk]), new_hazard_data(signed_in, member_log)
    )
    assert "Hazard number: Hazard H7 is already in this log." in [error.text for error in response.context["errors"]]


@pytest.fixture
def hazard(member_log):
    return factories.make_hazard(member_log, "H3", initial=("Major", "Medium"), residual=("Major", "Low"))


def edit_url(hazard):
    return reverse("hazardlog:hazard_edit", args=[hazard.log_id, hazard.pk])


def test_an_edit_needs_a_reason_which_is_kept_in_the_history(signed_in, hazard, user):
    url = edit_url(hazard)
    data = {**open_form(signed_in, url), "residual-likelihood": "1"}
    response = signed_in.post(url, data)
    assert "Enter the reason for the change" in [error.text for error in response.context["errors"]]
    assert hazard.assessment(Stage.RESIDUAL).likelihood.name == "Low"

    response = signed_in.post(url, {**data, "reason": "Residual risk reviewed after UAT"})
    assert response.status_code == 302
    residual = Hazard.objects.get(pk=hazard.pk).assessments.get(stage=Stage.RESIDUAL)
    assert (residual.likelihood.name, residual.rating.number) == ("Very low", 2)
    last = residual.history.first()
    assert (last.history_change_reason, last.history_user) == ("Residual risk reviewed after UAT", user)
    assert hazard.history.first().history_change_reason == "Residual risk reviewed after UAT"


def test_only_what_changed_is_saved(signed_in, hazard):
    url = edit_url(hazard)
    causes_before = Cause.history.count()
    data = {**open_form(signed_in, url), "causes-1-description": "Cause 2, reworded", "reason": "Wording"}
    assert signed_in.post(url, data).status_code == 302
    assert Cause.history.count() == causes_before + 1
    assert hazard.causes.get(number=2).description == "Cause 2, reworded"


def test_a_removed_cause_or_control_is_withdrawn_not_deleted(signed_in, hazard):
    url = edit_url(hazard)
    data = {
        **open_form(signed_in, url),
        "causes-1-withdraw": "on",
        "causes-1-description": "",
        "existing-0-withdraw": "on",
        "reason": "Cause 2 cannot happen since 3.0",
    }
    assert signed_in.post(url, data).status_code == 302
    cause = Cause.objects.get(hazard=hazard, number=2)
    assert cause.withdrawn and cause.withdrawn_reason == "Cause 2 cannot happen since 3.0"
    assert cause.description == "Cause 2"
    assert Control.objects.get(hazard=hazard, kind=ControlKind.EXISTING).withdrawn
    additional = Control.objects.get(hazard=hazard, kind=ControlKind.ADDITIONAL)
    assert [c.number for c in additional.causes.all()] == [1]

    page = signed_in.get(reverse("hazardlog:hazard_detail", args=[hazard.log_id, hazard.pk])).content.decode()
    assert "Withdrawn causes and controls" in page
    assert 'name="causes-1-description"' not in signed_in.get(url).content.decode()


def test_a_new_cause_after_a_withdrawn_one_takes_the_next_number(signed_in, hazard):
    url = edit_url(hazard)
    data = {**open_form(signed_in, url), "causes-1-withdraw": "on", "reason": "Withdrawn"}
    signed_in.post(url, data)
    data = open_form(signed_in, url)
    response = signed_in.post(url, {**data, "add_cause": "1"})
    assert [form.key for form in response.context["editor"].causes.forms] == [1, 3]
    data = {
        **browser_data(response.context["editor"]),
        "causes-1-description": "A new cause",
        "additional-0-answers": ["1", "3"],
        "reason": "New cause found in testing",
    }
    assert signed_in.post(url, data).status_code == 302
    assert Cause.objects.get(hazard=hazard, number=3).description == "A new cause"
    additional = Control.objects.get(hazard=hazard, kind=ControlKind.ADDITIONAL)
    assert sorted(c.number for c in additional.causes.all()) == [1, 3]


def test_an_edit_from_a_stale_page_is_not_saved(signed_in, hazard, django_user_model):
    url = edit_url(hazard)
    mine = {**open_form(signed_in, url), "name": "My name for it", "reason": "Mine"}

    colleague = django_user_model.objects.create_user("colleague", first_name="Sam", last_name="Jones")
    theirs = Hazard.objects.get(pk=hazard.pk)
    theirs.name = "Their name for it"
    theirs._history_user = colleague
    theirs.save()

    response = signed_in.post(url, mine)
    assert response.status_code == 409
    assert Hazard.objects.get(pk=hazard.pk).name == "Their name for it"
    assert "Sam Jones saved this hazard after you opened it. Your changes have not been saved." in [
        error.text for error in response.context["errors"]
    ]
    page = response.content.decode()
    assert 'value="My name for it"' in page
    # The conflict shows their change (old → new, by whom) and how what was typed differs from it.
    theirs = response.context["editor"].theirs
    assert [(entry.who, [(c.label, c.old, c.new) for c in entry.changes]) for entry in theirs] == [
        ("Sam Jones", [("hazard name", "Wrong patient record displayed", "Their name for it")])
    ]
    assert response.context["editor"].yours == [("Hazard name", "Their name for it", "My name for it")]
    assert "Their changes" in page and "Your changes" in page

    # Having seen the warning, saving the page again replaces their version.
    again = browser_data(response.context["editor"])
    assert signed_in.post(url, again).status_code == 302
    assert Hazard.objects.get(pk=hazard.pk).name == "My name for it"


def test_a_cause_of_another_hazard_cannot_be_posted_as_one_of_this_hazards(signed_in, hazard):
    other = factories.make_hazard(factories.make_log(), "H1")

    def contents():
        return [
            (
                sorted(h.causes.values_list("pk", "number", "description", "withdrawn")),
                sorted(
                    (c.pk, c.description, c.withdrawn, *c.causes.values_list("pk", flat=True)) for c in h.controls.all()
                ),
            )
            for h in (hazard, other)
        ]

    before = contents()
    url = edit_url(hazard)
    foreign = other.causes.get(number=1)
    data = {
        **open_form(signed_in, url),
        "causes-0-id": str(foreign.pk),
        "causes-0-description": "Hijack",
        "reason": "Try",
    }
    response = signed_in.post(url, data)
    assert response.status_code == 200
    assert [error.text for error in response.context["errors"]] == [
        "This page is out of date: reload it and make your change again."
    ]
    assert contents() == before


def test_an_assessment_cannot_be_removed(signed_in, hazard):
    url = edit_url(hazard)
    data = {**open_form(signed_in, url), "reason": "Try"}
    del data["initial-severity"], data["initial-likelihood"]
    response = signed_in.post(url, data)
    assert "Choose the initial severity: an assessment cannot be removed, only changed" in [
        error.text for error in response.context["errors"]
    ]


def test_the_form_shows_each_level_with_its_definition_and_the_current_rating(signed_in, hazard):
    page = signed_in.get(edit_url(hazard)).content.decode()
    assert "Negligible or nearly negligible possibility of occurring." in page
    assert "Single patient: death; permanent life-changing incapacity" in page
    assert "3 Undesirable" in page  # Major × Medium
    assert reverse("resources:page", args=["risk-matrix"]) + "#initial-risk" in page


def test_causes_too_long_for_one_spreadsheet_cell_are_refused_when_saved(signed_in, hazard):
    url = edit_url(hazard)
    data = {**open_form(signed_in, url), "reason": "Long causes"}
    data["causes-0-description"] = "a" * 20_000
    data["causes-1-description"] = "b" * 20_000
    response = signed_in.post(url, data)
    assert response.status_code == 200
    assert any("Possible Causes" in error.text and "32,767" in error.text for error in response.context["errors"])
    assert not Cause.objects.filter(hazard=hazard, description__startswith="aaaa").exists()
