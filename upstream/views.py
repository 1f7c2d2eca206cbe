"""Pages of the hand-off: a DCB0160 log's upstream sources, bringing one in, a source with its hazards and
what changed since the version it supersedes, and the evaluation of each manufacturer's hazard. Viewers read;
editors and the CSO evaluate; the CSO marks a flagged evaluation as reviewed. Non-members get 404."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.text import get_valid_filename
from django.views.decorators.http import require_GET, require_POST

from hazardlog import issues
from hazardlog import presenters as hazard_presenters
from hazardlog.access import can, get_log_for_user
from hazardlog.models import Cause, Control, Hazard, RiskAssessment, Role, Standard
from hazardlog.presenters import control_title
from hazardlog.text import CELL_MAX_CHARS

from . import presenters, services
from .bring_in import SourceRefused, read_source
from .compare import diff_sources
from .forms import ApplicabilityForm, BringInForm, ReviewForm, TransferForm
from .models import Evaluation, TransferDecision, UpstreamSource

logger = logging.getLogger(__name__)
WARNINGS_SHOWN = 20


def _source_of(log, source_id) -> UpstreamSource:
    return get_object_or_404(
        UpstreamSource.objects.defer("content").select_related("brought_in_by"), log=log, pk=source_id
    )


def _evaluation_of(log, evaluation_id) -> Evaluation:
    return get_object_or_404(
        Evaluation.objects.select_related("upstream_hazard__source", "local_hazard"), log=log, pk=evaluation_id
    )


@login_required
@require_GET
def source_list(request, log_id):
    log = get_log_for_user(request.user, log_id)
    sources = list(log.upstream_sources.defer("content").select_related("brought_in_by", "previous"))
    context = {
        "log": log,
        "sources": sources,
        "counts": presenters.counts(log),
        "is_dcb0160": log.standard == Standard.DCB0160,
        "can_edit": can(log.user_role, Role.EDITOR),
        "flagged": log.upstream_evaluations.filter(needs_review=True).select_related("local_hazard"),
    }
    return render(request, "upstream/source_list.html", context)


@login_required
def bring_in(request, log_id):
    log = get_log_for_user(request.user, log_id, Role.EDITOR)
    if log.standard != Standard.DCB0160:
        return render(request, "upstream/not_dcb0160.html", {"log": log}, status=400)
    form = BringInForm(*_posted(request, files=True), log=log)
    refusal = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["upload"]
        content = upload.read()
        try:
            reading = read_source(upload.name, content)
            source, diff = services.bring_in(
                log, reading, **_details(form.cleaned_data, reading, upload.name, content), user=request.user
            )
        except SourceRefused as error:
            refusal = error.messages
            form.add_error("upload", f"The file cannot be brought in: {len(refusal)} problem(s), listed below.")
        except ValidationError as error:
            for field, errors in (
                error.message_dict.items() if hasattr(error, "error_dict") else [(None, error.messages)]
            ):
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"{source} brought in: {source.hazards.count()} hazards.")
            for warning in reading.warnings[:WARNINGS_SHOWN]:
                messages.warning(request, warning)
            return redirect("upstream:source_detail", log.pk, source.pk)
    context = {"log": log, "form": form, "refusal": refusal}
    return render(request, "upstream/bring_in.html", context, status=400 if form.errors else 200)


def _details(data: dict, reading, file_name: str, content: bytes) -> dict:
    """The form's details, the blanks filled from the file."""
    previous = data.get("previous")
    suggested = reading.suggested
    version = (data.get("version") or "").strip() or suggested["version"]
    if not version:
        raise ValidationError({"version": "Enter the manufacturer's version: the file does not give one"})
    issue_date = data.get("issue_date")
    if issue_date is None and suggested["issue_date"]:
        from datetime import date

        issue_date = date.fromisoformat(suggested["issue_date"])
    system = (data.get("system") or "").strip() or suggested["system"]
    if not previous and not system:
        raise ValidationError({"system": "Enter the system's name: the file does not give one"})
    return {
        "file_name": file_name,
        "content": content,
        "manufacturer": (data.get("manufacturer") or "").strip(),
        "system": system[:200],
        "version": version[:50],
        "issue_date": issue_date,
        "previous": previous,
    }


@login_required
@require_GET
def source_detail(request, log_id, source_id):
    log = get_log_for_user(request.user, log_id)
    source = _source_of(log, source_id)
    hazards = list(source.hazards.all())
    evaluations = {
        e.reference_key: e
        for e in Evaluation.objects.filter(log=log, manufacturer=source.manufacturer, system=source.system)
    }
    states = presenters.evaluation_states(list(evaluations.values()))
    rows = [
        {
            "hazard": hazard,
            "reading": presenters.read_upstream(hazard.row),
            "evaluation": evaluations.get(hazard.reference_key),
            "state": states.get(getattr(evaluations.get(hazard.reference_key), "pk", None), ""),
        }
        for hazard in hazards
    ]
    diff = None
    if source.previous_id:
        previous = UpstreamSource.objects.defer("content").get(pk=source.previous_id)
        diff = diff_sources(previous.snapshot(), source.snapshot(), source.version)
    context = {
        "log": log,
        "source": source,
        "rows": rows,
        "diff": diff,
        "later": UpstreamSource.objects.filter(previous=source).defer("content").first(),
        "cover": [(label, source.cover.get(key)) for key, label in COVER_LABELS if source.cover.get(key)],
    }
    return render(request, "upstream/source_detail.html", context)


COVER_LABELS = [
    ("programme", "Programme"),
    ("owner", "Owner"),
    ("author", "Author"),
    ("clinical_safety_officer", "Clinical Safety Officer"),
    ("document_reference", "Document reference"),
    ("document_status", "Status"),
    ("version", "Version on the cover"),
    ("version_date", "Version date"),
    ("issue_number", "Issue number"),
]


@login_required
@require_GET
def source_download(request, log_id, source_id):
    log = get_log_for_user(request.user, log_id)
    source = get_object_or_404(UpstreamSource, log=log, pk=source_id)
    content = bytes(source.content)
    computed = issues.sha256(content)
    if computed != source.sha256:
        logger.critical(
            "Upstream source id=%s altered: SHA-256 recorded %s, stored %s", source.pk, source.sha256, computed
        )
        context = {"log": log, "source": source, "recorded": source.sha256, "computed": computed}
        return render(request, "upstream/source_altered.html", context, status=409)
    response = HttpResponse(content, content_type="application/octet-stream")
    name = get_valid_filename(source.file_name) or "upstream"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    response["X-Content-SHA256"] = source.sha256
    return response


def _local_hazard(evaluation) -> Hazard | None:
    if not evaluation.local_hazard_id:
        return None
    return (
        Hazard.objects.filter(pk=evaluation.local_hazard_id)
        .prefetch_related(
            Prefetch("causes", queryset=Cause.objects.filter(withdrawn=False).order_by("number")),
            Prefetch("controls", queryset=Control.objects.filter(withdrawn=False).order_by("number")),
            Prefetch("assessments", queryset=RiskAssessment.objects.select_related("severity", "likelihood", "rating")),
        )
        .first()
    )


@login_required
@require_GET
def evaluation(request, log_id, evaluation_id):
    log = get_log_for_user(request.user, log_id)
    item = _evaluation_of(log, evaluation_id)
    local = _local_hazard(item)
    context = {
        "log": log,
        "evaluation": item,
        "copy": item.upstream_hazard,
        "reading": presenters.read_upstream(item.upstream_hazard.row) if item.upstream_hazard else None,
        "local": local,
        "local_controls": [(control_title(c.number, c.kind, c.control_type), c) for c in local.controls.all()]
        if local
        else [],
        "transfers": list(item.transfers.order_by("control_number")),
        "evaluated": services.is_evaluated(item),
        "matrix": hazard_presenters.MatrixView.load(log.matrix_id),
        "can_edit": can(log.user_role, Role.EDITOR),
        "is_cso": can(log.user_role, Role.CSO),
        "history": _history(item),
    }
    return render(request, "upstream/evaluation.html", context)


def _history(item: Evaluation, limit: int = 100) -> list:
    """The evaluation's history and its transfer decisions', newest first."""
    records = [(record, "Evaluation") for record in item.history.select_related("history_user")[:limit]]
    records += [
        (record, f"Transferred control {record.control_number}")
        for record in TransferDecision.history.filter(evaluation_id=item.pk).select_related("history_user")[:limit]
    ]
    return sorted(records, key=lambda pair: pair[0].history_date, reverse=True)[:limit]


@login_required
@require_POST
def evaluation_start(request, log_id, evaluation_id):
    log = get_log_for_user(request.user, log_id, Role.EDITOR)
    item = _evaluation_of(log, evaluation_id)
    created = not item.local_hazard_id
    hazard = services.start_evaluation(item, request.user)
    if created:
        messages.success(
            request, f"Local hazard {hazard.reference} added to this log: add the local causes, controls and ratings."
        )
    return redirect("upstream:evaluation", log.pk, item.pk)


def _posted(request, files=False) -> tuple:
    """The form's data: bound on any POST, even an empty one (which then shows what is missing)."""
    if request.method != "POST":
        return (None, None) if files else (None,)
    return (request.POST, request.FILES) if files else (request.POST,)


def _form_page(request, log, item, form, title, template="upstream/evaluation_form.html", **extra):
    context = {"log": log, "evaluation": item, "form": form, "title": title, **extra}
    return render(request, template, context, status=400 if form.errors else 200)


@login_required
def applicability(request, log_id, evaluation_id):
    log = get_log_for_user(request.user, log_id, Role.EDITOR)
    item = _evaluation_of(log, evaluation_id)
    initial = {"applicable": item.applicable if item.decided else None, "reason": item.reason}
    form = ApplicabilityForm(*_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        services.decide_applicability(item, form.cleaned_data["applicable"], form.cleaned_data["reason"], request.user)
        messages.success(request, f"Applicability of {item.reference} saved.")
        return redirect("upstream:evaluation", log.pk, item.pk)
    return _form_page(request, log, item, form, "Does this hazard apply?")


@login_required
def transfer_decide(request, log_id, evaluation_id, transfer_id):
    log = get_log_for_user(request.user, log_id, Role.EDITOR)
    item = _evaluation_of(log, evaluation_id)
    decision = get_object_or_404(TransferDecision, evaluation=item, pk=transfer_id)
    title = f"control {decision.control_number}"
    initial = {
        "decision": decision.decision,
        "owner": decision.owner,
        "implementation_status": decision.implementation_status,
        "reason": decision.reason,
    }
    form = TransferForm(*_posted(request), initial=initial, title=title)
    if request.method == "POST" and form.is_valid():
        services.decide_transfer(decision, form.cleaned_data, request.user)
        messages.success(request, f"Decision on transferred control {decision.control_number} saved.")
        return redirect("upstream:evaluation", log.pk, item.pk)
    return _form_page(request, log, item, form, f"Transferred control {decision.control_number}", decision=decision)


@login_required
def review(request, log_id, evaluation_id):
    log = get_log_for_user(request.user, log_id, Role.CSO)
    item = _evaluation_of(log, evaluation_id)
    if not item.needs_review:
        raise Http404("This evaluation is not flagged for review.")
    form = ReviewForm(*_posted(request))
    if request.method == "POST" and form.is_valid():
        reason = f"Reviewed: {item.what_changed} — {form.cleaned_data['reason']}"[:CELL_MAX_CHARS]
        services.mark_reviewed(item, reason, request.user)
        messages.success(request, f"{item.reference} marked as reviewed.")
        return redirect("upstream:evaluation", log.pk, item.pk)
    return _form_page(request, log, item, form, "Mark as reviewed", what_changed=item.what_changed)
