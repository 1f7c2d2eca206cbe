"""Every change to a tracked record leaves a history row (DCB0129 7.3.4).

QuerySet.update(), bulk_create() and bulk_update() skip save() and so write no history. The source scan
below finds them on tracked models; simple_history.utils' *_with_history helpers are the way to write in bulk.
"""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse

from hazardlog.models import Hazard
from tests import factories
from tests.admin_forms import change_form_data

SCANNED = [settings.BASE_DIR / "hazardlog", settings.BASE_DIR / "resources", settings.BASE_DIR / "safetycase"]
WRITES_WITHOUT_HISTORY = {"update", "bulk_create", "bulk_update"}
# Names in a call chain that make its receiver a manager or queryset.
QUERYSET_WORDS = {
    "objects",
    "_default_manager",
    "_base_manager",
    "all",
    "filter",
    "exclude",
    "select_related",
    "prefetch_related",
    "order_by",
    "annotate",
    "alias",
    "distinct",
    "only",
    "defer",
    "using",
    "select_for_update",
    "none",
}
QUERYSET_VARIABLES = {"qs", "queryset"}
# A write on a manager held in a variable is allowed only when its line says why the model is untracked.
UNTRACKED_MARK = "# untracked:"
# Model.m2m.through and Model.history lead to link and history tables, which are not tracked models;
# code that fills them in bulk writes the matching history itself (as load_demo and imports do).
LINK_OR_HISTORY_TABLE = {"through", "history"}


def tracked_models() -> list:
    return [model for model in apps.get_models() if hasattr(model._meta, "simple_history_manager_attribute")]


def tracked_names() -> tuple[set[str], set[str]]:
    """Class names of tracked models, and attribute names (related managers) that yield tracked records."""
    tracked = set(tracked_models())
    accessors = set()
    for model in apps.get_models():
        for relation in model._meta.related_objects:
            if relation.related_model in tracked and relation.get_accessor_name():
                accessors.add(relation.get_accessor_name())
        for field in model._meta.many_to_many:
            if field.related_model in tracked:
                accessors.add(field.name)
    return {model.__name__ for model in tracked}, accessors


def receiver_chain(node: ast.AST) -> tuple[list[str], str | None]:
    """The attribute names from the receiver back to its root, and the root variable's name."""
    names = []
    while True:
        if isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Name):
            return names, node.id
        else:
            return names, None


def writes_without_history(source: str, model_names: set[str], accessors: set[str]) -> list[tuple[int, str]]:
    """(line, code) of each bulk or queryset write on a tracked model, or on a queryset of unknown model."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITES_WITHOUT_HISTORY
        ):
            continue
        names, root = receiver_chain(node.func.value)
        if LINK_OR_HISTORY_TABLE.intersection(names):
            continue
        line = lines[node.lineno - 1]
        on_tracked_model = root in model_names or bool(accessors.intersection(names))
        on_unknown_queryset = bool(QUERYSET_WORDS.intersection(names)) or root in QUERYSET_VARIABLES
        if on_tracked_model or (on_unknown_queryset and UNTRACKED_MARK not in line):
            found.append((node.lineno, line.strip()))
    return found


@pytest.mark.parametrize(
    "code",
    [
        "Hazard.objects.filter(log=log).update(status='closed')",
        "Cause.objects.bulk_create(causes)",
        "RiskAssessment.objects.bulk_update(assessments, ['rating'])",
        "log.hazards.update(owner='Trust')",
        "hazard.controls.all().bulk_update(controls, ['owner'])",
        "self.log.hazards.filter(status='open').update(status='closed')",
        "model.objects.filter(pk=1).update(name='x')",
        "queryset.update(name='x')",
    ],
)
def test_the_scan_finds_writes_that_skip_history(code):
    assert writes_without_history(code, *tracked_names())


@pytest.mark.parametrize(
    "code",
    [
        "data.update(extra)",
        "context.update({'log': log})",
        "numbers.update(Cause.objects.filter(pk__in=ids).values_list('pk', 'number'))",
        "bulk_create_with_history(hazards, Hazard)",
        "bulk_update_with_history(hazards, Hazard, ['owner'])",
        "Hazard.objects.update_or_create(log=log, reference_key='h1')",
        "m2m_history.objects.bulk_create(rows)  # untracked: a history table",
        "Control.causes.through.objects.bulk_create(links)",
        "Control.history.model.causes.model.objects.bulk_create(rows)",
    ],
)
def test_the_scan_passes_other_calls(code):
    assert not writes_without_history(code, *tracked_names())


def test_the_scan_knows_the_tracked_models():
    model_names, accessors = tracked_names()
    assert {"Hazard", "Cause", "Control", "RiskAssessment", "HazardLog", "RiskCell"} <= model_names
    assert {"hazards", "causes", "controls", "assessments"} <= accessors


def test_no_module_writes_tracked_models_without_history():
    model_names, accessors = tracked_names()
    offences = []
    for root in SCANNED:
        for path in sorted(root.rglob("*.py")):
            for line, code in writes_without_history(path.read_text(encoding="utf-8"), model_names, accessors):
                offences.append(f"{Path(path).relative_to(settings.BASE_DIR)}:{line}: {code}")
    assert not offences, "Writes that skip history (use save() or simple_history.utils):\n" + "\n".join(offences)


HISTORY_REWRITES = {"update", "delete", "bulk_update", "update_or_create"}


def history_rewrites(source: str) -> list[tuple[int, str]]:
    """(line, code) of each call that changes or deletes existing history rows: a write on a chain through
    `.history`, or simple-history's update_change_reason()."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        rewrites = name == "update_change_reason" or (
            name in HISTORY_REWRITES and "history" in receiver_chain(func.value)[0]
        )
        if rewrites:
            found.append((node.lineno, lines[node.lineno - 1].strip()))
    return found


@pytest.mark.parametrize(
    ("code", "rewrites"),
    [
        ("hazard.history.filter(history_id=1).update(history_change_reason='x')", True),
        ("Hazard.history.all().delete()", True),
        ("hazard.history.first().delete()", True),
        ("update_change_reason(hazard, 'Typo')", True),
        ("simple_history.utils.update_change_reason(hazard, 'Typo')", True),
        ("hazard.history.filter(revision__gt=2)", False),
        ("Control.history.model.causes.model.objects.bulk_create(rows)", False),
        ("hazard.save()", False),
    ],
)
def test_the_scan_finds_code_that_rewrites_history(code, rewrites):
    assert bool(history_rewrites(code)) is rewrites


def test_no_module_changes_or_deletes_history_rows():
    offences = [
        f"{Path(path).relative_to(settings.BASE_DIR)}:{line}: {code}"
        for root in SCANNED
        for path in sorted(root.rglob("*.py"))
        for line, code in history_rewrites(path.read_text(encoding="utf-8"))
    ]
    assert not offences, "History rows are append-only (README, Notes for developers):\n" + "\n".join(offences)


def test_saving_a_hazard_in_the_admin_records_history_with_the_admin_user(admin_client, admin_user, log):
    hazard = factories.make_hazard(log, "H1", name="Allergy not displayed")
    url = reverse("admin:hazardlog_hazard_change", args=[hazard.pk])
    data = change_form_data(admin_client.get(url))
    data["name"] = "Allergy not displayed at prescribing"

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    latest = Hazard.objects.get(pk=hazard.pk).history.first()
    assert latest.name == "Allergy not displayed at prescribing"
    assert latest.history_type == "~"
    assert latest.history_user == admin_user
    assert hazard.history.count() == 2
