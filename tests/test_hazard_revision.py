"""One revision for a hazard and everything under it: a change to a cause, control, control–cause link or
risk assessment, by any path, moves the hazard's revision in the same transaction, so an editor page
opened before it meets the conflict page instead of saving over it (migration 0008)."""

import importlib
import io
import threading

import openpyxl
import pytest
from django.db import connection, connections, transaction
from django.urls import reverse

from hazardlog import imports, services
from hazardlog.models import Cause, Control, Hazard, Stage
from hazardlog.snapshot import build_snapshot
from hazardlog.workbook import layout
from hazardlog.workbook.writer import write_nhs_workbook
from tests import factories
from tests.admin_forms import change_form_data

revision_migration = importlib.import_module("hazardlog.migrations.0008_hazard_revision_covers_children")


def revision(hazard) -> int:
    return Hazard.objects.values_list("revision", flat=True).get(pk=hazard.pk)


def stale_save(hazard, opened: int, user):
    """What the editor does with a page opened at `opened`: save the hazard's own fields."""
    copy = Hazard.objects.get(pk=hazard.pk)
    copy.name = "Typed into a page opened earlier"
    services.save_hazard(copy, user=user, reason="Editor", causes=[], controls=[], assessments=[], revision=opened)


def test_the_triggers_are_in_the_migrated_database(db):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        present = {name for (name,) in cursor.fetchall()}
    assert set(revision_migration.TRIGGER_NAMES) <= present


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda h: _save(h.causes.first(), description="Reworded cause"), id="cause reworded"),
        pytest.param(lambda h: Cause.objects.create(hazard=h, number=9, description="New cause"), id="cause added"),
        pytest.param(lambda h: _save(h.controls.first(), owner="Deploying organisation"), id="control owner"),
        pytest.param(lambda h: h.controls.first().causes.clear(), id="control unlinked from its causes"),
        pytest.param(lambda h: h.controls.first().causes.add(*h.causes.all()), id="control linked to a cause"),
        pytest.param(lambda h: factories.assess(h, Stage.RESIDUAL, "Minor", "Very low"), id="assessment re-rated"),
        pytest.param(lambda h: _save(h.assessment(Stage.INITIAL), rationale="Workshop 4"), id="rationale"),
    ],
)
def test_any_change_under_a_hazard_moves_its_revision_and_stops_a_stale_editor(member_log, user, change):
    hazard = factories.make_hazard(member_log, "H1")
    opened = revision(hazard)
    change(Hazard.objects.get(pk=hazard.pk))
    assert revision(hazard) > opened
    with pytest.raises(services.StaleHazard):
        stale_save(hazard, opened, user)
    assert Hazard.objects.get(pk=hazard.pk).name != "Typed into a page opened earlier"


def _save(obj, **fields):
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save()


def test_a_hazard_saved_from_a_stale_copy_never_writes_its_revision_back_lower(member_log):
    hazard = factories.make_hazard(member_log, "H1")
    stale = Hazard.objects.get(pk=hazard.pk)
    _save(hazard.causes.first(), description="Reworded")
    _save(hazard.causes.last(), description="Reworded too")
    moved = revision(hazard)
    stale.save()
    assert revision(hazard) == moved + 1 == stale.revision


def test_an_import_that_changes_only_a_cause_stops_a_stale_editor(member_log, user):
    hazard = factories.make_hazard(member_log, "H1")
    opened = revision(hazard)
    book = openpyxl.load_workbook(io.BytesIO(write_nhs_workbook(build_snapshot(member_log))))
    sheet = book[layout.HAZARD_SHEET]
    cell = next(c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "Cause 2" in c.value)
    cell.value = cell.value.replace("Cause 2", "Cause 2, reworded by the supplier")
    out = io.BytesIO()
    book.save(out)
    record = imports.preview_import(member_log, "supplier.xlsx", out.getvalue(), user)
    assert record.counts["update"] == 1, record.report["messages"]
    imports.confirm_import(record, user)
    assert Hazard.objects.get(pk=hazard.pk).name == hazard.name  # only the cause changed
    with pytest.raises(services.StaleHazard):
        stale_save(hazard, opened, user)


def test_an_admin_edit_of_a_cause_stops_a_stale_editor(member_log, user, client, django_user_model):
    hazard = factories.make_hazard(member_log, "H1")
    opened = revision(hazard)
    admin = django_user_model.objects.create_superuser("admin", "admin@example.nhs.uk", "a long admin password")
    client.force_login(admin)
    cause = hazard.causes.first()
    url = reverse("admin:hazardlog_cause_change", args=[cause.pk])
    data = change_form_data(client.get(url))
    data["description"] = "Reworded in the admin"
    assert client.post(url, data).status_code == 302
    assert Cause.objects.get(pk=cause.pk).description == "Reworded in the admin"
    with pytest.raises(services.StaleHazard):
        stale_save(hazard, opened, user)


def test_an_admin_edit_of_a_controls_causes_through_the_hazard_page_stops_a_stale_editor(
    member_log, user, client, django_user_model
):
    hazard = factories.make_hazard(member_log, "H1")
    opened = revision(hazard)
    admin = django_user_model.objects.create_superuser("admin", "admin@example.nhs.uk", "a long admin password")
    client.force_login(admin)
    control = hazard.controls.get(number=1)
    url = reverse("admin:hazardlog_control_change", args=[control.pk])
    data = change_form_data(client.get(url))
    data["causes"] = [str(pk) for pk in hazard.causes.values_list("pk", flat=True)]
    assert client.post(url, data).status_code == 302
    assert Control.objects.get(pk=control.pk).causes.count() == 2
    with pytest.raises(services.StaleHazard):
        stale_save(hazard, opened, user)


# Under real concurrency (PostgreSQL row locks): the write under the hazard and the editor's save are in
# flight at once; the editor waits for the other transaction and is then refused.

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writes need PostgreSQL (SQLite locks the whole file)"
)


def _race(hazard, user, write_under_hazard) -> str:
    opened = revision(hazard)
    written, outcome = threading.Event(), {}

    def other_path():
        try:
            with transaction.atomic():
                write_under_hazard(Hazard.objects.get(pk=hazard.pk))
                written.set()
                threading.Event().wait(0.5)  # the editor's save is now waiting on the hazard's row
        finally:
            connections.close_all()

    def editor():
        try:
            written.wait(timeout=10)
            stale_save(hazard, opened, user)
            outcome["editor"] = "saved"
        except services.StaleHazard:
            outcome["editor"] = "refused"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=other_path), threading.Thread(target=editor)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcome.get("editor", "hung")


@on_postgresql
@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda h: _save(h.causes.first(), description="Reworded meanwhile"), id="cause"),
        pytest.param(lambda h: _save(h.controls.first(), owner="Meanwhile"), id="control"),
        pytest.param(lambda h: h.controls.first().causes.clear(), id="link"),
        pytest.param(lambda h: factories.assess(h, Stage.RESIDUAL, "Minor", "Very low"), id="assessment"),
    ],
)
def test_a_write_under_the_hazard_in_flight_refuses_the_editor_that_saves_at_the_same_time(
    transactional_nhs_matrix, django_user_model, write
):
    user = django_user_model.objects.create_user("racer", password="a long enough password")
    hazard = factories.make_hazard(factories.make_log(), "H1")
    assert _race(hazard, user, write) == "refused"


def test_the_conflict_page_names_a_change_made_only_to_a_cause(member_log, user, client):
    from tests.test_views_hazard_form import open_form

    hazard = factories.make_hazard(member_log, "H1")
    client.force_login(user)
    url = reverse("hazardlog:hazard_edit", args=[member_log.pk, hazard.pk])
    data = open_form(client, url)
    cause = hazard.causes.get(number=1)
    cause._change_reason = "Reworded in the admin"
    _save(cause, description="Reworded in the admin")
    data.update(name="Typed into a page opened earlier", reason="My edit")
    response = client.post(url, data)
    assert response.status_code == 409
    theirs = response.context["editor"].theirs
    assert [(entry.subject, entry.why) for entry in theirs] == [("Cause 1", "Reworded in the admin")]
    assert Hazard.objects.get(pk=hazard.pk).name == hazard.name
