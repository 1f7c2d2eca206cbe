"""Is the clinical risk management file as it was written? (DCB0129 3.1, 3.3.2)

- Every approved issue's workbook and snapshot still hash to the SHA-256 recorded at approval, and so does
  every frozen safety case report (DOCX and PDF) to the SHA-256 recorded when it was frozen.
- Every live row of a tracked model has the history row of its creation ('+'), and its latest history row
  agrees with it, many-to-many links included: nothing was written that skipped the audit trail.

A few queries per model (values(), no per-object query), so a 10,000-hazard log is checked in seconds.
"""

from dataclasses import dataclass

from django.apps import apps
from django.db.models import Max
from simple_history.utils import get_m2m_field_name, get_m2m_reverse_field_name

from hazardlog.issues import canonical_json, sha256
from hazardlog.models import LogIssue

TRACKED_APPS = ("hazardlog", "resources", "safetycase", "upstream")
# Moved by database triggers without a history row, by design (migration 0008): a concurrency token.
UNTRACKED_FIELDS = {("hazardlog", "hazard"): {"revision"}}


@dataclass(frozen=True)
class Problem:
    model: str
    id: int
    what: str

    def __str__(self) -> str:
        return f"{self.model} {self.id}: {self.what}"


def tracked_models() -> list:
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in TRACKED_APPS and hasattr(model._meta, "simple_history_manager_attribute")
    ]


def check_issues() -> list[Problem]:
    problems = []
    rows = LogIssue.objects.order_by("pk").values_list(
        "pk", "workbook", "workbook_sha256", "snapshot", "snapshot_sha256"
    )
    # A few at a time: a workbook can be megabytes.
    for pk, workbook, workbook_sha256, snapshot, snapshot_sha256 in rows.iterator(chunk_size=10):
        if sha256(bytes(workbook)) != workbook_sha256:
            problems.append(
                Problem("hazardlog.LogIssue", pk, "its workbook does not match the SHA-256 recorded at approval")
            )
        if sha256(canonical_json(snapshot)) != snapshot_sha256:
            problems.append(
                Problem("hazardlog.LogIssue", pk, "its snapshot does not match the SHA-256 recorded at approval")
            )
    return problems + check_reports()


def check_reports() -> list[Problem]:
    from safetycase.models import FrozenReport

    problems = []
    rows = FrozenReport.objects.order_by("pk").values_list("pk", "format", "content", "sha256")
    for pk, report_format, content, recorded in rows.iterator(chunk_size=10):
        if sha256(bytes(content)) != recorded:
            what = f"its {report_format.upper()} report does not match the SHA-256 recorded when it was frozen"
            problems.append(Problem("safetycase.FrozenReport", pk, what))
    return problems


def check_history(model) -> list[Problem]:
    history = model.history.model._default_manager
    untracked = UNTRACKED_FIELDS.get((model._meta.app_label, model._meta.model_name), set())
    fields = [f.attname for f in model.history.model.tracked_fields if f.attname not in untracked]
    pk = model._meta.pk.attname
    label = model._meta.label

    live = {row[pk]: row for row in model._base_manager.values(*fields)}
    created = set(history.filter(history_type="+").values_list(pk, flat=True))
    # order_by() clears the history's default ordering, which would otherwise join the GROUP BY.
    latest_ids = history.order_by().values(pk).annotate(latest=Max("history_id")).values("latest")
    latest = {
        row[pk]: row for row in history.filter(history_id__in=latest_ids).values("history_id", "history_type", *fields)
    }
    links = {field: _latest_links(model, field, latest_ids) for field in model.history.model._history_m2m_fields}

    problems = []
    for pk_value, row in sorted(live.items()):
        last = latest.get(pk_value)
        if last is None:
            problems.append(Problem(label, pk_value, "it has no history"))
            continue
        if pk_value not in created:
            problems.append(Problem(label, pk_value, "its history has no row of its creation"))
        if last["history_type"] == "-":
            problems.append(Problem(label, pk_value, "its latest history row records it deleted"))
            continue
        differ = [field for field in fields if row[field] != last[field]]
        differ += [
            field.name
            for field, (live_links, history_links) in links.items()
            if live_links.get(pk_value, set()) != history_links.get(last["history_id"], set())
        ]
        if differ:
            problems.append(Problem(label, pk_value, f"it differs from its latest history row in {', '.join(differ)}"))
    return problems


def _latest_links(model, field, latest_ids) -> tuple[dict, dict]:
    """The many-to-many links of each live object, and those recorded with each latest history row."""
    through = getattr(model, field.name).through
    source, target = f"{get_m2m_field_name(field)}_id", f"{get_m2m_reverse_field_name(field)}_id"
    live_links: dict = {}
    for owner, linked in through._base_manager.values_list(source, target):
        live_links.setdefault(owner, set()).add(linked)
    history_links: dict = {}
    recorded = getattr(model.history.model, field.name).model._default_manager
    for history_id, linked in recorded.filter(history_id__in=latest_ids).values_list("history_id", target):
        history_links.setdefault(history_id, set()).add(linked)
    return live_links, history_links


def find_problems() -> list[Problem]:
    from upstream.integrity import check_sources

    problems = check_issues() + check_sources()
    for model in tracked_models():
        problems += check_history(model)
    return problems
