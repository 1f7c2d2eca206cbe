"""PostgreSQL: an import's new rows go to their tables by COPY, with ids taken from each table's sequence
beforehand (hazardlog.history). The rows and their creation history hold what simple-history's bulk helper
writes for the same input, any text arrives exactly, and the sequences go on after them."""

import datetime

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from hazardlog import history, risk
from hazardlog.imports import import_in_one_pass
from hazardlog.models import Cause, Control, Hazard, ImportStatus, RiskAssessment
from tests import factories
from tests.import_files import workbook
from tests.test_import_one_pass import (
    NOT_COMPARED,
    ROWS,
    _creation_history,
    _key,
    _links_through_the_helper,
    _through_the_helper,
)

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="COPY is PostgreSQL's; SQLite keeps its multi-row INSERTs"
)

# What COPY's text format gives a meaning to (tab, newline, carriage return, backslash, \N for NULL, \. for the
# end of data), quotes, and text beyond Latin-1.
TEXTS = [
    "a\ttab",
    "two\nlines\r\nand a carriage return",
    "back\\slash, \\t and \\n",
    "\\N",
    "\\.",
    "'single' \"double\" `back`",
    "é ≤ ∑ 患者 😀 \u202e right to left",
    "  spaces kept  ",
    "",
]
ALL_TEXT = "|".join(TEXTS)
MODELS = (Hazard, Cause, Control, RiskAssessment)


def _write(log, user, when, insert, link) -> dict:
    """Two hazards with a cause of each of TEXTS, two controls answering them, and both assessments, written
    by `insert` and `link` (hazardlog.history's, or simple-history's bulk helper); their {key: id} maps."""
    stamp = {"user": user, "reason": f"Imported from {ALL_TEXT}", "when": when}
    hazards = insert(
        Hazard,
        ["log_id", "reference", "reference_key", "reference_sort", "name", "description", "additional_columns"],
        [
            (log.pk, ref, ref.casefold(), ref, f"Hazard {ref}", ALL_TEXT, [[text, text] for text in TEXTS])
            for ref in ("H1", "H2")
        ],
        key=("reference_key",),
        **stamp,
    )
    causes = insert(
        Cause,
        ["hazard_id", "number", "description", "source_id"],
        [(h, n, text, text[:20]) for h in hazards.values() for n, text in enumerate(TEXTS, 1)],
        key=("hazard_id", "number"),
        **stamp,
    )
    controls = insert(
        Control,
        ["hazard_id", "number", "description", "kind", "control_type", "evidence", "additional_columns"],
        [
            (h, n, text, "additional", "design", ALL_TEXT, {"note": text})
            for h in hazards.values()
            for n, text in ((1, TEXTS[0]), (2, TEXTS[3]))
        ],
        key=("hazard_id", "number"),
        **stamp,
    )
    link(
        Control._meta.get_field("causes"),
        [(c, causes[(h, n)]) for (h, _), c in controls.items() for n in range(1, len(TEXTS) + 1)],
    )
    table = risk.MatrixTable.load(log.matrix)
    severity, likelihood = table.severity_named("Major"), table.likelihood_named("Medium")
    rating = table.rating(severity, likelihood)
    assessments = insert(
        RiskAssessment,
        ["hazard_id", "stage", "severity_id", "likelihood_id", "rating_id", "rationale", "assessed_at"],
        [
            (h, stage, severity.id, likelihood.id, rating.id, ALL_TEXT, datetime.date(2026, 11, 30))
            for h in hazards.values()
            for stage in ("initial", "residual")
        ],
        key=("hazard_id", "stage"),
        **stamp,
    )
    return {Hazard: hazards, Cause: causes, Control: controls, RiskAssessment: assessments}


def _objects(model, log):
    return model.objects.filter(**({"log": log} if model is Hazard else {"hazard__log": log}))


def _live(log) -> dict:
    """The rows written under `log`, field by field, and the control–cause links, whatever their ids."""
    rows = {
        (model.__name__, *_key(model, obj)): {
            f.attname: getattr(obj, f.attname)
            for f in model._meta.concrete_fields
            if f.name not in NOT_COMPARED and f.attname not in {"hazard_id", "log_id"}
        }
        for model in MODELS
        for obj in _objects(model, log)
    }
    links = Control.causes.through.objects.filter(control__hazard__log=log).select_related("control__hazard", "cause")
    rows["links"] = sorted((link.control.hazard.reference, link.control.number, link.cause.number) for link in links)
    return rows


@pytest.fixture
def statements(monkeypatch):
    """The statements sent through the bulk writers' cursor (Django's execute_wrapper does not see it)."""
    sent = []

    class Recording(psycopg.RawCursor):
        def execute(self, query, params=None, **kwargs):
            sent.append(str(query))
            return super().execute(query, params, **kwargs)

        def copy(self, statement, params=None, **kwargs):
            sent.append(str(statement))
            return super().copy(statement, params, **kwargs)

    monkeypatch.setattr(psycopg, "RawCursor", Recording)
    return sent


def test_an_imports_new_rows_go_by_copy(log, user, statements):
    assert import_in_one_pass(log, "log.xlsx", workbook(ROWS), user).status == ImportStatus.APPLIED
    live = [Hazard, Cause, Control, Control.causes.through, RiskAssessment]  # in the order the import writes
    assert [s.split(" (")[0] for s in statements if s.startswith("COPY")] == [
        f'COPY "{model._meta.db_table}"' for model in live
    ]
    assert not [s for s in statements if " VALUES " in s]  # no multi-row INSERT left
    assert sum(s.startswith("INSERT INTO") for s in statements) == 5  # one history copy a table
    assert {h.revision for h in Hazard.objects.filter(log=log)} == {1}


def test_rows_and_their_history_are_what_simple_historys_helper_writes(matrix, user, statements):
    when = timezone.now()
    ours, reference = factories.make_log(matrix=matrix), factories.make_log(matrix=matrix)
    _write(ours, user, when, history.insert_with_history, history.link_with_history)
    assert sum(s.startswith("COPY") for s in statements) == 5
    _write(reference, user, when, _through_the_helper, _links_through_the_helper)

    # Every text exactly as given, JSON and dates too; the revisions too (the triggers fire once a statement).
    assert _live(ours) == _live(reference)
    assert _creation_history(ours) == _creation_history(reference)
    assert len(_creation_history(ours)["links"]) == 2 * 2 * len(TEXTS)
    hazard = Hazard.objects.get(log=ours, reference="H1")
    assert hazard.description == ALL_TEXT and hazard.additional_columns == [[text, text] for text in TEXTS]
    assert [c.description for c in hazard.causes.order_by("number")] == TEXTS
    for model in MODELS:
        for obj in _objects(model, ours):
            (created,) = obj.history.all()
            assert (created.history_type, created.history_user, created.history_date) == ("+", user, when)
            assert created.history_change_reason == f"Imported from {ALL_TEXT}"
            # the revision aside, which the triggers move without history for each statement writing under a hazard
            for f in model._meta.concrete_fields:
                if f.attname != "revision":
                    assert getattr(created, f.attname) == getattr(obj, f.attname), (obj, f.attname)


def test_the_ids_returned_are_those_of_the_rows_by_key(log, user):
    found = _write(log, user, timezone.now(), history.insert_with_history, history.link_with_history)
    assert found[Hazard] == {(h.reference_key,): h.pk for h in Hazard.objects.filter(log=log)}
    for model in (Cause, Control):
        assert found[model] == {(o.hazard_id, o.number): o.pk for o in _objects(model, log)}
    assert found[RiskAssessment] == {(a.hazard_id, a.stage): a.pk for a in _objects(RiskAssessment, log)}
    for model in MODELS:  # in the order of the rows given, as an INSERT numbers them
        assert list(found[model].values()) == sorted(found[model].values())


def test_the_sequences_go_on_after_the_rows_copied(log, user):
    found = _write(log, user, timezone.now(), history.insert_with_history, history.link_with_history)
    hazard = Hazard.objects.create(log=log, reference="H3", name="Made afterwards")
    assert hazard.pk > max(found[Hazard].values())
    cause = Cause.objects.create(hazard=hazard, number=1, description="Made afterwards")
    assert cause.pk > max(found[Cause].values())
    control = Control.objects.create(hazard=hazard, number=1, description="Made afterwards", kind="existing")
    assert control.pk > max(found[Control].values())
    control.causes.add(cause)
    assert Control.causes.through.objects.filter(control__hazard__log=log).count() == 2 * 2 * len(TEXTS) + 1
