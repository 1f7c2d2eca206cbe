"""Preview, then confirm: what an import writes, what it leaves alone, and what it records."""

import hashlib

import pytest
from django.db import DatabaseError

from hazardlog import imports
from hazardlog.imports import REPLACE_COVER, ImportRefused, cancel_import, confirm_import, preview_import
from hazardlog.models import (
    Cause,
    Control,
    Hazard,
    HazardLog,
    ImportRecord,
    ImportStatus,
    RiskAssessment,
    RiskRating,
)
from hazardlog.snapshot import build_snapshot
from hazardlog.sorting import sort_text
from hazardlog.text import reference_key
from hazardlog.workbook.writer import write_nhs_workbook
from tests import factories
from tests.import_files import database_counts, hazard_row, workbook

REPORT_KEYS = {"counts", "hazards", "missing_from_file", "messages", "layout"}
COUNT_KEYS = {"create", "update", "unchanged", "missing_from_file", "errors", "warnings"}


def exported(log) -> bytes:
    return write_nhs_workbook(build_snapshot(log))


def test_a_preview_lists_each_hazard_and_writes_only_the_import_record(log, user):
    factories.make_hazard(log, "H1", name="Old name")
    content = workbook([hazard_row("H1"), hazard_row("H2")])
    before = database_counts()
    record = preview_import(log, "log.xlsx", content, user)
    assert database_counts() == before
    assert record.status == ImportStatus.PREVIEWED
    assert record.report.keys() >= REPORT_KEYS and record.report["counts"].keys() == COUNT_KEYS
    assert record.counts == record.report["counts"]
    assert record.counts | {"warnings": 0} == {
        "create": 1,
        "update": 1,
        "unchanged": 0,
        "missing_from_file": 0,
        "errors": 0,
        "warnings": 0,
    }
    h1, h2 = record.report["hazards"]
    assert (h1["reference"], h1["action"], h2["reference"], h2["action"]) == ("H1", "update", "H2", "create")
    assert {"field": "Hazard name", "old": "Old name", "new": "Hazard H1"} in h1["changes"]
    assert (record.file_name, record.user, record.size) == ("log.xlsx", user, len(content))
    assert record.sha256 == hashlib.sha256(content).hexdigest()
    assert bytes(record.content) == content  # kept in the database until confirmed, for any app server


def test_confirm_applies_the_preview_and_records_the_import(log, user):
    record = preview_import(log, "log.xlsx", workbook([hazard_row("H1"), hazard_row("H2")]), user)
    record = confirm_import(record, user)
    assert record.status == ImportStatus.APPLIED and record.applied_at is not None
    assert bytes(record.content) == b""
    assert record.report["applied_by"] == user.username
    assert record.counts["create"] == 2
    assert sorted(Hazard.objects.filter(log=log).values_list("reference", flat=True)) == ["H1", "H2"]
    h1 = Hazard.objects.get(log=log, reference="H1")
    assert (h1.reference_key, h1.reference_sort) == (reference_key("H1"), sort_text("H1"))  # as save() sets them
    assert list(h1.causes.values_list("number", "description")) == [(1, "Wrong patient selected"), (2, "Stale cache")]
    confirm = h1.controls.get(control_type="design")
    assert sorted(confirm.causes.values_list("number", flat=True)) == [1, 2]
    assert [(a.stage, a.rating.number) for a in h1.assessments.order_by("stage")] == [("initial", 3), ("residual", 2)]


def test_every_created_object_has_history_with_the_user_and_a_reason_naming_the_file(log, user):
    content = workbook([hazard_row(f"H{n}") for n in range(1, 4)])
    record = confirm_import(preview_import(log, "log.xlsx", content, user), user)
    reason = f"Imported from log.xlsx (SHA-256 {record.sha256[:12]}…)"
    for model in (Hazard, Cause, Control, RiskAssessment):
        objects = model.objects.all()
        history = model.history.all()
        assert objects.count() > 0
        assert history.count() == objects.count(), model
        assert {(h.history_type, h.history_change_reason, h.history_user_id) for h in history} == {
            ("+", reason, user.pk)
        }
    for control in Control.objects.all():
        created = control.history.get()
        assert sorted(created.causes.values_list("cause_id", flat=True)) == sorted(
            control.causes.values_list("id", flat=True)
        )


def test_confirm_refuses_if_the_log_changed_since_the_preview(log, user):
    hazard = factories.make_hazard(log, "H1")
    record = preview_import(log, "log.xlsx", workbook([hazard_row("H1"), hazard_row("H2")]), user)
    hazard.name = "Edited while the preview was open"
    hazard.save()
    before = database_counts()
    with pytest.raises(ImportRefused, match="The log has changed since this preview"):
        confirm_import(record, user)
    assert database_counts() == before
    assert Hazard.objects.get(pk=hazard.pk).name == "Edited while the preview was open"
    record.refresh_from_db()
    assert record.status == ImportStatus.REFUSED and bytes(record.content) == b""
    assert "The log has changed" in record.report["messages"][-1]["message"]


def test_an_import_is_applied_once_and_a_cancelled_one_never(log, user):
    first = preview_import(log, "log.xlsx", workbook([hazard_row("H1")]), user)
    confirm_import(first, user)
    with pytest.raises(ImportRefused, match="already applied"):
        confirm_import(first, user)
    second = preview_import(log, "log.xlsx", workbook([hazard_row("H2")]), user)
    cancel_import(second, user)
    assert (second.status, bytes(second.content)) == (ImportStatus.CANCELLED, b"")
    with pytest.raises(ImportRefused, match="already cancelled"):
        confirm_import(second, user)
    assert not Hazard.objects.filter(reference="H2").exists()


def test_reimporting_an_exported_file_creates_and_updates_nothing(log, user):
    closed = factories.make_hazard(log, "H1", status="closed", status_reason="Fixed in 4.2.")
    cause = closed.causes.get(number=1)
    cause.description = "Typed in a browser\r\nover two lines"
    cause.save()
    control = closed.controls.get(number=2)
    control.owner, control.evidence, control.implementation_status = "Supplier", "Test report 12", "verified"
    control.save()
    factories.make_hazard(log, "H10", causes=3, residual=None, hazard_type="Display")
    factories.make_hazard(log, "EPMA-2", description='=HYPERLINK("x")\nمرحبا 👩‍⚕️')
    content = exported(log)
    before = database_counts()
    record = preview_import(log, "export.xlsx", content, user)
    assert record.counts == {
        "create": 0,
        "update": 0,
        "unchanged": 3,
        "missing_from_file": 0,
        "errors": 0,
        "warnings": 0,
    }
    assert record.report["log_changes"] == []
    confirm_import(record, user)
    assert database_counts() == before | {"applied imports": before["applied imports"] + 1}
    assert exported(log) != b"" and Hazard.objects.get(pk=closed.pk).status_reason == "Fixed in 4.2."


def test_hazards_missing_from_the_file_are_reported_and_kept(log, user):
    kept = factories.make_hazard(log, "H9")
    record = confirm_import(preview_import(log, "log.xlsx", workbook([hazard_row("H1")]), user), user)
    assert record.report["missing_from_file"] == ["H9"] and record.counts["missing_from_file"] == 1
    assert Hazard.objects.filter(pk=kept.pk).exists()
    assert kept.causes.filter(withdrawn=False).count() == 2


def test_an_update_changes_only_what_the_file_carries_and_withdraws_what_it_dropped(log, user):
    hazard = factories.make_hazard(log, "H1", causes=3, hazard_type="Display", owner="Old owner")
    design = hazard.controls.get(control_type="design")
    design.owner, design.evidence = "Supplier", "Release notes"
    design.save()
    initial = hazard.assessment("initial")
    initial.rationale = "Workshop 3"
    initial.save()
    row = hazard_row(
        "H1",
        name=hazard.name,
        description=hazard.description,
        clinical_impact=hazard.clinical_impact,
        owner="Old owner",
        causes="1) Cause 1\n2) Cause two, reworded",
        existing_controls="1) Existing control",
        design_controls="1) Additional design control, reworded\n2) Additional design control, reworded",
        test_controls="2) New test",
        initial_severity="Major",
        initial_likelihood="High",
        initial_rating=4,
        residual_severity="Major",
        residual_likelihood="Low",
        residual_rating=3,
    )
    record = preview_import(log, "log.xlsx", workbook([row]), user)
    [entry] = record.report["hazards"]
    assert entry["action"] == "update"
    assert [c["field"] for c in entry["changes"]] == [
        "Cause 2",
        "Cause 3",
        "Design controls",
        "Test controls",
        "Initial risk",
    ]
    assert {"field": "Initial risk", "old": "Major × Medium → 3", "new": "Major × High → 4"} in entry["changes"]
    confirm_import(record, user)

    hazard.refresh_from_db()
    assert (hazard.hazard_type, hazard.owner) == ("Display", "Old owner")
    causes = {c.number: c for c in hazard.causes.all()}
    assert causes[2].description == "Cause two, reworded" and not causes[2].withdrawn
    assert causes[3].withdrawn and causes[3].withdrawn_reason == "Not in the imported workbook log.xlsx."
    design.refresh_from_db()  # same control, edited in place; what the file does not carry is kept
    assert (design.description, design.owner, design.evidence) == (
        "Additional design control, reworded",
        "Supplier",
        "Release notes",
    )
    assert sorted(design.causes.values_list("number", flat=True)) == [1, 2]
    new_test = hazard.controls.get(control_type="test")
    assert (new_test.number, list(new_test.causes.values_list("number", flat=True))) == (3, [2])
    initial.refresh_from_db()
    assert (initial.likelihood.name, initial.rating.number, initial.rationale) == ("High", 4, "Workshop 3")
    reason = f"Imported from log.xlsx (SHA-256 {record.sha256[:12]}…)"
    assert causes[3].history.first().history_change_reason == reason
    assert design.history.first().history_user == user
    assert not Cause.objects.filter(pk=causes[3].pk, withdrawn=False).exists()


def test_a_new_closed_hazard_gets_a_reason_and_a_warning(log, user):
    record = preview_import(log, "log.xlsx", workbook([hazard_row("H1", status="Closed")]), user)
    assert record.report["messages"] == [
        {
            "level": "warning",
            "sheet": "Hazard Log",
            "row": 2,
            "column": "S",
            "message": "Hazard H1 is Closed in the workbook, which gives no reason; the reason recorded is “Closed "
            "in the imported workbook log.xlsx.”. Edit it after the import if it needs more.",
        }
    ]
    confirm_import(record, user)
    assert Hazard.objects.get(reference="H1").status_reason == "Closed in the imported workbook log.xlsx."


def test_cover_page_changes_are_previewed_and_applied(log, user):
    source = factories.make_log(name="Source", programme="Digital Care", version="2.1", owner="Trust")
    log.programme = "Old programme"
    log.save()
    record = preview_import(log, "log.xlsx", exported(source), user)
    changes = {c["field"]: (c["old"], c["new"]) for c in record.report["log_changes"]}
    assert changes["Programme"] == ("Old programme", "Digital Care") and changes["Version"] == ("", "2.1")
    # A filled-in field the workbook gives differently, and the system its title names, are warned about;
    # a field the log left empty (the version) is only filled in.
    differences = {d["field"]: (d["log"], d["workbook"]) for d in record.report["cover_differences"]}
    assert differences == {"System name": (log.name, "Source"), "Programme": ("Old programme", "Digital Care")}
    confirm_import(record, user, cover=REPLACE_COVER)
    log.refresh_from_db()
    assert (log.name, log.programme, log.version, log.owner) == (log.name, "Digital Care", "2.1", "Trust")
    assert log.history.first().history_change_reason.startswith("Imported from log.xlsx")


def test_nothing_is_written_when_applying_fails_half_way(log, user, monkeypatch):
    factories.make_hazard(log, "H1")
    record = preview_import(log, "log.xlsx", workbook([hazard_row("H1"), hazard_row("H2")]), user)
    before = database_counts()

    def fail(self, item):
        raise DatabaseError("disk full")

    monkeypatch.setattr(imports._Writer, "update", fail)
    with pytest.raises(ImportRefused, match="nothing was changed"):
        confirm_import(record, user)
    assert database_counts() == before
    # A database refusal is a fault to report, not a reason to offer the same confirm again.
    assert ImportRecord.objects.get(pk=record.pk).status == ImportStatus.REFUSED


def test_a_refused_upload_is_recorded_without_its_content(log, user):
    record = preview_import(log, "notes.txt", b"hello", user)
    assert record.status == ImportStatus.REFUSED and bytes(record.content) == b""
    assert record.sha256 == hashlib.sha256(b"hello").hexdigest() and record.size == 5
    assert record.report["layout"] == "" and record.counts["errors"] == 1
    assert HazardLog.objects.filter(pk=log.pk).exists()


def test_new_controls_in_several_columns_of_one_hazard_get_their_own_numbers(log, user):
    hazard = factories.make_hazard(log, "H1", causes=2)  # controls 1 (existing) and 2 (design)
    row = hazard_row(
        "H1",
        name=hazard.name,
        description=hazard.description,
        clinical_impact=hazard.clinical_impact,
        causes="1) Cause 1\n2) Cause 2",
        existing_controls="1) Existing control",
        design_controls="1) Additional design control\n2) Additional design control",
        test_controls="1) New test",
        training_controls="2) New training",
        bpc_controls="1) New process",
    )
    record = preview_import(log, "log.xlsx", workbook([row]), user)
    assert record.counts["errors"] == 0
    confirm_import(record, user)
    numbers = dict(hazard.controls.filter(withdrawn=False).values_list("description", "number"))
    assert numbers["Existing control"] == 1 and numbers["Additional design control"] == 2
    assert sorted(numbers[text] for text in ("New test", "New training", "New process")) == [3, 4, 5]


def test_an_import_that_reopens_a_hazard_drops_the_reason_for_its_old_status(log, user):
    hazard = factories.make_hazard(log, "H1", status="closed", status_reason="Fixed in release 2")
    row = hazard_row("H1", name=hazard.name, description=hazard.description, status="Open")
    confirm_import(preview_import(log, "log.xlsx", workbook([row]), user), user)
    hazard.refresh_from_db()
    assert (hazard.status, hazard.status_reason) == ("open", "")


def test_a_write_the_database_refuses_is_an_import_refused_with_a_message(log, user, monkeypatch):
    """On PostgreSQL the bulk writes go through psycopg's own cursor (hazardlog/history.py), whose errors must
    reach the import as Django's DatabaseError, as on SQLite: refused with a message, nothing written."""
    record = preview_import(log, "log.xlsx", workbook([hazard_row("H1")]), user)
    levels = imports._Writer._levels

    def wrong_rating(self, assessment):  # a rating that is not the matrix's for these levels
        severity, likelihood, rating = levels(self, assessment)
        other = RiskRating.objects.filter(matrix=log.matrix).exclude(pk=rating.pk).first()
        return severity, likelihood, other

    monkeypatch.setattr(imports._Writer, "_levels", wrong_rating)
    before = database_counts()
    with pytest.raises(ImportRefused, match="the database refused it"):
        confirm_import(record, user)
    assert database_counts() == before
    record.refresh_from_db()
    assert record.status == ImportStatus.REFUSED
