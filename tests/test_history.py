"""The audit trail: who changed what, when and why, for a hazard (with its causes, controls and
ratings) and for a whole log."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hazardlog import history
from hazardlog.models import ControlType, Membership, Role, Stage
from tests import factories


def save(obj, user, reason, **changes):
    for field, value in changes.items():
        setattr(obj, field, value)
    obj._history_user = user
    obj._change_reason = reason
    obj.save()
    return obj


@pytest.fixture
def hazard(member_log):
    return factories.make_hazard(member_log, "H1", name="Wrong patient shown", initial=("Major", "Medium"))


@pytest.fixture
def edited(hazard, user):
    """One change each to the hazard, a cause, a control and the initial rating, in that order."""
    user.first_name, user.last_name = "Asha", "Patel"
    user.save()
    save(hazard, user, "Renamed after the safety review", name="Wrong patient record shown")
    save(
        hazard.causes.get(number=2), user, "Cause reworded by the supplier", description="Search returns similar names"
    )
    control = hazard.controls.get(number=2)
    save(control, user, "Moved to testing", control_type=ControlType.TEST)
    assessment = hazard.assessments.get(stage=Stage.INITIAL)
    severity = hazard.log.matrix.severity_levels.get(name="Catastrophic")
    save(assessment, user, "Several patients can be affected", severity=severity)
    return hazard


def by_subject(entries, subject):
    return [e for e in entries if e.subject == subject]


def changes_of(entry):
    return {change.label: (change.old, change.new) for change in entry.changes}


def test_hazard_history_shows_each_field_old_and_new_with_who_and_why(edited):
    entries = history.hazard_history(edited)

    hazard = by_subject(entries, "Hazard")[0]
    assert hazard.action == "changed"
    assert changes_of(hazard) == {"hazard name": ("Wrong patient shown", "Wrong patient record shown")}
    assert hazard.who == "Asha Patel"
    assert hazard.why == "Renamed after the safety review"

    cause = by_subject(entries, "Cause 2")[0]
    assert changes_of(cause) == {"description": ("Cause 2", "Search returns similar names")}
    assert cause.why == "Cause reworded by the supplier"

    control = by_subject(entries, "Control 2 (additional, Test)")[0]
    assert changes_of(control) == {"type": ("Design", "Test")}

    rating = by_subject(entries, "Initial risk")[0]
    # Names and rating numbers, never ids: Major/Medium is 3, Catastrophic/Medium is 4.
    assert changes_of(rating) == {"severity": ("Major", "Catastrophic"), "rating": ("3", "4")}
    assert rating.why == "Several patients can be affected"


def test_hazard_history_is_newest_first(edited):
    entries = history.hazard_history(edited)
    assert [e.when for e in entries] == sorted((e.when for e in entries), reverse=True)
    assert entries[0].subject == "Initial risk"
    assert entries[0].why == "Several patients can be affected"
    assert entries[-1].action == "added"


def test_creation_lists_the_values_and_cause_links(hazard):
    entries = history.hazard_history(hazard)
    added = by_subject(entries, "Hazard")[-1]
    assert added.action == "added"
    assert changes_of(added)["hazard name"] == (None, "Wrong patient shown")
    # The factory links the additional control to causes 1 and 2 after creating it.
    links = [e for e in by_subject(entries, "Control 2 (additional, Design)") if "causes answered" in changes_of(e)]
    assert links and changes_of(links[0])["causes answered"][1] == "1, 2"


def test_a_changed_cause_link_shows_cause_numbers(hazard, user):
    control = hazard.controls.get(number=2)
    control._history_user, control._change_reason = user, "Cause 1 is answered by the existing control"
    control.causes.remove(hazard.causes.get(number=1))
    entry = history.hazard_history(hazard)[0]
    assert entry.subject == "Control 2 (additional, Design)"
    assert changes_of(entry) == {"causes answered": ("1, 2", "2")}
    assert entry.why == "Cause 1 is answered by the existing control"


def test_a_withdrawn_cause_is_described_as_withdrawn(hazard, user):
    cause = hazard.causes.get(number=1)
    save(cause, user, "Duplicate of cause 2", withdrawn=True, withdrawn_reason="Duplicate of cause 2")
    entry = history.hazard_history(hazard)[0]
    assert (entry.subject, entry.action) == ("Cause 1", "withdrawn")
    assert changes_of(entry)["withdrawn"] == ("No", "Yes")


def test_a_save_that_changes_nothing_is_left_out(hazard, user):
    before = len(history.hazard_history(hazard))
    save(hazard, user, "Opened and saved")
    assert len(history.hazard_history(hazard)) == before


def test_hazard_history_page(client, user, edited):
    client.force_login(user)
    response = client.get(reverse("hazardlog:hazard_history", args=[edited.log_id, edited.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Renamed after the safety review" in html
    assert '<del><span class="nhsuk-u-visually-hidden">Changed from: </span>Wrong patient shown</del>' in html
    assert "Wrong patient record shown</ins>" in html
    assert "Asha Patel" in html
    assert html.index("Several patients can be affected") < html.index("Renamed after the safety review")


def test_a_hazard_of_another_log_is_not_found(client, user, member_log):
    other = factories.make_hazard(factories.make_log(), "H1")
    client.force_login(user)
    response = client.get(reverse("hazardlog:hazard_history", args=[member_log.pk, other.pk]))
    assert response.status_code == 404


def test_log_history_shows_cover_changes_and_a_line_per_hazard_change(client, user, edited):
    log = edited.log
    save(log, user, "Programme renamed", programme="Digital Medicines")
    page = history.log_history(log)
    first = page.object_list[0]
    assert (first.subject, first.why, first.who) == ("Log details", "Programme renamed", "Asha Patel")
    assert changes_of(first) == {"programme": ("", "Digital Medicines")}
    rating = next(e for e in page.object_list if e.subject == "Initial risk")
    assert rating.hazard_reference == "H1"

    client.force_login(user)
    html = client.get(reverse("hazardlog:log_history", args=[log.pk])).content.decode()
    assert "Programme renamed" in html and "Digital Medicines" in html
    assert reverse("hazardlog:hazard_history", args=[log.pk, edited.pk]) in html
    assert "Cause reworded by the supplier" in html


def test_log_history_shows_each_approved_issue(client, user, edited):
    from hazardlog.issues import approve_issue

    approve_issue(edited.log, "1.0", "Approved for release 4.2 with CSCR-12", user)
    first = history.log_history(edited.log).object_list[0]
    assert (first.subject, first.action, first.why) == (
        "Issue 1.0",
        "approved",
        "Approved for release 4.2 with CSCR-12",
    )


def test_log_history_pages_newest_first(user, member_log):
    hazard = factories.make_hazard(member_log, "H1")
    for n in range(12):
        save(hazard, user, f"Edit {n}", owner=f"Owner {n}")
    first = history.log_history(member_log, 1, per_page=5)
    second = history.log_history(member_log, 2, per_page=5)
    assert [e.why for e in first.object_list] == [f"Edit {n}" for n in (11, 10, 9, 8, 7)]
    assert [e.why for e in second.object_list] == [f"Edit {n}" for n in (6, 5, 4, 3, 2)]
    assert changes_of(second.object_list[0]) == {"owner": ("Owner 5", "Owner 6")}


def test_log_history_leaves_out_other_logs(user, member_log):
    factories.make_hazard(member_log, "H1")
    factories.make_hazard(factories.make_log(), "OTHER1")
    entries = history.log_history(member_log).object_list
    assert {e.hazard_reference for e in entries if e.hazard_id} == {"H1"}
    assert [e.subject for e in entries if not e.hazard_id] == ["Log details"]  # this log's creation only


def _queries(callable_):
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured.captured_queries)


def _churn(hazard, user, times):
    control = hazard.controls.get(number=2)
    assessment = hazard.assessments.get(stage=Stage.INITIAL)
    levels = list(hazard.log.matrix.severity_levels.order_by("rank"))
    for n in range(times):
        save(hazard, user, "edit", owner=f"Owner {n}")
        save(hazard.causes.get(number=1), user, "edit", description=f"Cause text {n}")
        save(control, user, "edit", owner=f"Team {n}")
        save(assessment, user, "edit", severity=levels[n % len(levels)])


def test_the_number_of_queries_does_not_grow_with_the_changes(user, member_log):
    few = factories.make_hazard(member_log, "H1")
    many = factories.make_hazard(member_log, "H2")
    _churn(few, user, 5)
    _churn(many, user, 50)
    assert _queries(lambda: history.hazard_history(few)) == _queries(lambda: history.hazard_history(many))
    assert _queries(lambda: history.log_history(member_log, 1)) == _queries(lambda: history.log_history(member_log, 4))


def test_viewers_read_history_and_non_members_get_404(client, django_user_model, edited):
    viewer = django_user_model.objects.create_user("viewer")
    stranger = django_user_model.objects.create_user("stranger")
    Membership.objects.create(log=edited.log, user=viewer, role=Role.VIEWER)
    urls = [
        reverse("hazardlog:hazard_history", args=[edited.log_id, edited.pk]),
        reverse("hazardlog:log_history", args=[edited.log_id]),
    ]
    client.force_login(viewer)
    assert [client.get(url).status_code for url in urls] == [200, 200]
    client.force_login(stranger)
    assert [client.get(url).status_code for url in urls] == [404, 404]
