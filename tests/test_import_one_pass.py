"""One pass on the import path people run (issue 14.1): the command reads the workbook once, a confirm
applies the plan its preview kept, and new hazards are written with plain SQL whose history is exactly what
simple-history's own bulk helper writes."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from simple_history.utils import bulk_create_with_history

from hazardlog import history, imports
from hazardlog.imports import confirm_import, import_in_one_pass, preview_import
from hazardlog.models import Cause, Control, Hazard, ImportRecord, ImportStatus, RiskAssessment
from hazardlog.workbook import reader
from tests import factories
from tests.import_files import hazard_row, workbook

ROWS = [
    hazard_row("H1"),
    hazard_row("H2", status="Closed", existing_controls="1) Banner\n2) Banner", causes="1) One\n2) Two\n3) Three"),
    hazard_row("H3", design_controls="1) Confirm\n2) Confirm", training_controls="1) Teach\n2) Teach"),
]
# Fields that differ between two imports of the same rows by construction: the objects' own ids and their
# parents', and the moment of writing.
NOT_COMPARED = {"id", "history_id", "hazard", "log", "history_date", "updated_at"}


def _through_the_helper(model, columns, rows, *, key, user, reason, when, history_values=None):
    """What the import wrote before (simple-history's bulk helper), as the reference."""
    objs = []
    for row in rows:
        obj = model(**dict(zip(columns, row, strict=True)))
        for name, value in (history_values or {}).items():
            setattr(obj, name, value)
        objs.append(obj)
    made = bulk_create_with_history(objs, model, default_user=user, default_change_reason=reason, default_date=when)
    return {tuple(getattr(obj, name) for name in key): obj.pk for obj in made}


def _links_through_the_helper(m2m_field, links):
    through = m2m_field.remote_field.through
    made = through.objects.bulk_create([through(control_id=a, cause_id=b) for a, b in links])
    created = dict(Control.history.filter(history_type="+").values_list("id", "history_id"))
    link_history = Control.history.model.causes.model
    link_history.objects.bulk_create(
        [
            link_history(history_id=created[link.control_id], id=link.id, control_id=link.control_id, cause=link.cause)
            for link in made
        ]
    )


def _key(model, record) -> tuple:
    """Where a history row's object sits in its log, whatever its id."""
    if model is Hazard:
        return (record.reference,)
    hazard = Hazard.objects.get(pk=record.hazard_id).reference
    return (hazard, record.stage) if model is RiskAssessment else (hazard, record.number)


def _creation_history(log) -> dict:
    rows = {}
    for model in (Hazard, Cause, Control, RiskAssessment):
        records = model.history.filter(**({"log": log} if model is Hazard else {"hazard__log": log}))
        for record in records:
            fields = {
                f.attname: getattr(record, f.attname)
                for f in record._meta.concrete_fields
                if f.name not in NOT_COMPARED and f.attname not in {"hazard_id", "log_id"}
            }
            rows[(model.__name__, *_key(model, record))] = fields
    links = Control.history.model.causes.model.objects.filter(history__hazard__log=log)
    rows["links"] = sorted(
        (Hazard.objects.get(pk=link.control.hazard_id).reference, link.control.number, link.cause.number)
        for link in links.select_related("control", "cause")
    )
    return rows


def test_the_history_of_every_object_written_is_what_simple_historys_helper_writes(db, matrix, user, monkeypatch):
    content = workbook(ROWS)
    ours = factories.make_log(matrix=matrix, name="Ours")
    record = import_in_one_pass(ours, "log.xlsx", content, user)
    assert record.status == ImportStatus.APPLIED

    reference = factories.make_log(matrix=matrix, name="Reference")
    monkeypatch.setattr(history, "insert_with_history", _through_the_helper)
    monkeypatch.setattr(history, "link_with_history", _links_through_the_helper)
    assert import_in_one_pass(reference, "log.xlsx", content, user).status == ImportStatus.APPLIED

    written, expected = _creation_history(ours), _creation_history(reference)
    objects = [Hazard.objects.filter(log=ours)] + [
        model.objects.filter(hazard__log=ours) for model in (Cause, Control, RiskAssessment)
    ]
    assert len(written) == sum(q.count() for q in objects) + 1 == 3 + 7 + 9 + 6 + 1  # and the links
    assert written == expected  # field by field: every tracked field, type "+", user and reason
    assert len(written["links"]) == Control.causes.through.objects.filter(control__hazard__log=ours).count() == 14
    reason = f"Imported from log.xlsx (SHA-256 {record.sha256[:12]}…)"
    for model in (Hazard, Cause, Control, RiskAssessment):
        objects = model.objects.filter(**({"log": ours} if model is Hazard else {"hazard__log": ours}))
        for obj in objects:
            (created,) = obj.history.all()  # one history row each, its creation
            assert (created.history_type, created.history_user, created.history_change_reason) == ("+", user, reason)
            # and it holds what the object holds (the revision aside: the database moves it without history)
            for f in model._meta.concrete_fields:
                if f.attname not in {"updated_at", "revision"}:
                    assert getattr(created, f.attname) == getattr(obj, f.attname), (obj, f.attname)
    assert {h.revision for h in Hazard.objects.filter(log=ours)} == {1}


def test_the_revision_triggers_still_move_the_revision_of_every_other_write(db, log, user):
    import_in_one_pass(log, "log.xlsx", workbook(ROWS), user)
    hazard = Hazard.objects.get(log=log, reference="H1")
    assert hazard.revision == 1
    cause = hazard.causes.get(number=1)
    cause.description, cause._change_reason = "Edited", "test"
    cause.save()
    hazard.refresh_from_db()
    assert hazard.revision == 2
    with connection.cursor() as cursor:  # any path, raw SQL too
        cursor.execute(
            "INSERT INTO hazardlog_cause (hazard_id, number, description, source_id, withdrawn, withdrawn_reason) "
            "VALUES (%s, 9, 'Raw', '', %s, '')",
            [hazard.pk, False],
        )
    hazard.refresh_from_db()
    assert hazard.revision == 3


def test_the_command_reads_the_workbook_once(db, tmp_path, monkeypatch):
    calls = []
    read = reader.read_workbook

    def counted(*args, **kwargs):
        calls.append(1)
        return read(*args, **kwargs)

    monkeypatch.setattr(reader, "read_workbook", counted)
    path = tmp_path / "log.xlsx"
    path.write_bytes(workbook(ROWS))
    call_command("import_hazard_log", str(path), "--log", "ePMA", stdout=io.StringIO())
    assert len(calls) == 1
    assert Hazard.objects.filter(log__name="ePMA").count() == 3
    assert ImportRecord.objects.get().status == ImportStatus.APPLIED


def test_a_confirm_applies_the_previews_plan_without_reading_the_file_again(log, user, monkeypatch):
    factories.make_hazard(log, "H1", name="Old name")
    record = preview_import(log, "log.xlsx", workbook(ROWS), user)
    assert bytes(record.plan)

    def refuse(*args, **kwargs):
        raise AssertionError("the workbook was read again")

    monkeypatch.setattr(reader, "read_workbook", refuse)
    record = confirm_import(record, user)
    assert record.status == ImportStatus.APPLIED and bytes(record.plan) == b"" and bytes(record.content) == b""
    assert Hazard.objects.get(log=log, reference="H1").name == "Hazard H1"
    h2 = Hazard.objects.get(log=log, reference="H2")
    assert (h2.status, h2.causes.count(), h2.controls.filter(withdrawn=False).count()) == ("closed", 3, 2)
    assert h2.status_reason == "Closed in the imported workbook log.xlsx."


def test_a_preview_without_a_usable_plan_is_read_again(log, user, monkeypatch):
    record = preview_import(log, "log.xlsx", workbook(ROWS), user)
    ImportRecord.objects.filter(pk=record.pk).update(plan=b"not a plan")  # as a record of an earlier release
    calls = []
    read = reader.read_workbook
    monkeypatch.setattr(reader, "read_workbook", lambda *a, **k: calls.append(1) or read(*a, **k))
    record = confirm_import(ImportRecord.objects.get(pk=record.pk), user)
    assert record.status == ImportStatus.APPLIED and len(calls) == 1
    assert Hazard.objects.filter(log=log).count() == 3


def test_a_plan_kept_for_another_upload_is_not_used(log, user, monkeypatch):
    first = preview_import(log, "a.xlsx", workbook([hazard_row("H1")]), user)
    second = preview_import(log, "b.xlsx", workbook(ROWS), user)
    ImportRecord.objects.filter(pk=second.pk).update(plan=first.plan)
    assert imports._kept_plan(ImportRecord.objects.get(pk=second.pk)) is None


def test_a_changed_upload_is_refused_even_with_a_plan(log, user):
    record = preview_import(log, "log.xlsx", workbook(ROWS), user)
    ImportRecord.objects.filter(pk=record.pk).update(content=workbook([hazard_row("H9")]))
    with pytest.raises(imports.ImportRefused, match="does not match its checksum"):
        confirm_import(ImportRecord.objects.get(pk=record.pk), user)
    assert not Hazard.objects.filter(log=log).exists()


def test_the_plan_round_trips_every_field_of_a_row():
    parsed = reader.read_workbook(workbook(ROWS), _matrix(), max_hazards=100)
    for item in parsed.hazards:
        assert imports._row_from_json(imports._row_json(item.hazard)) == item.hazard


def _matrix():
    from tests.import_files import nhs_matrix_data

    return nhs_matrix_data()
