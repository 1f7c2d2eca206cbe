"""A hazard: read it, add one, edit one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render

from hazardlog import presenters, services
from hazardlog.access import can, get_log_for_user
from hazardlog.forms import EnteredInErrorForm
from hazardlog.models import Cause, Control, Hazard, RiskAssessment, Role
from hazardlog.web.editor import HazardEditor
from hazardlog.workbook.writer import CellTooLong


def _hazard_of(log, hazard_id) -> Hazard:
    """The hazard with everything its pages show, in a fixed number of queries."""
    hazards = Hazard.objects.filter(log=log).prefetch_related(
        Prefetch("causes", queryset=Cause.objects.order_by("number")),
        Prefetch("controls", queryset=Control.objects.order_by("number").prefetch_related("causes")),
        Prefetch("assessments", queryset=RiskAssessment.objects.select_related("severity", "likelihood", "rating")),
    )
    return get_object_or_404(hazards, pk=hazard_id)


@login_required
def hazard_detail(request, log_id, hazard_id):
    log = get_log_for_user(request.user, log_id)
    hazard = _hazard_of(log, hazard_id)
    return render(
        request,
        "hazardlog/hazard_detail.html",
        {
            "log": log,
            "hazard": hazard,
            "reading": presenters.read_hazard(hazard),
            "matrix": presenters.MatrixView.load(log.matrix_id),
            "last_change": hazard.history.select_related("history_user").first(),
            "can_edit": can(log.user_role, Role.EDITOR),
            "is_cso": can(log.user_role, Role.CSO),
        },
    )


@login_required
def hazard_create(request, log_id):
    log = get_log_for_user(request.user, log_id, Role.EDITOR)
    editor = HazardEditor(log, presenters.MatrixView.load(log.matrix_id), data=_posted(request))
    if request.method == "POST" and editor.is_valid():
        try:
            hazard = editor.save(request.user)
        except CellTooLong as error:
            editor.form.add_error(None, str(error))
        else:
            messages.success(request, f"Hazard {hazard.reference} added.")
            return redirect("hazardlog:hazard_detail", log.pk, hazard.pk)
    return _form_page(request, log, editor)


@login_required
def hazard_edit(request, log_id, hazard_id):
    log = get_log_for_user(request.user, log_id, Role.EDITOR)
    hazard = _hazard_of(log, hazard_id)
    editor = HazardEditor(log, presenters.MatrixView.load(log.matrix_id), hazard, data=_posted(request))
    if request.method == "POST" and editor.is_valid():
        try:
            editor.save(request.user)
        except services.StaleHazard as conflict:
            editor.show_conflict(conflict)
        except CellTooLong as error:
            editor.form.add_error(None, str(error))
        else:
            messages.success(request, f"Hazard {hazard.reference} saved.")
            return redirect("hazardlog:hazard_detail", log.pk, hazard.pk)
    return _form_page(request, log, editor)


@login_required
def hazard_entered_in_error(request, log_id, hazard_id):
    """The CSO marks a hazard as entered in error (or restores it): a decision about what the log holds."""
    log = get_log_for_user(request.user, log_id, Role.CSO)
    hazard = get_object_or_404(Hazard, log=log, pk=hazard_id)
    form = EnteredInErrorForm(_posted(request), hazard=hazard)
    if request.method == "POST" and form.is_valid():
        mark = form.cleaned_data["mark"]
        if services.mark_entered_in_error(hazard, request.user, form.cleaned_data["reason"], mark):
            done = "marked as entered in error" if mark else "restored to the log"
            messages.success(request, f"Hazard {hazard.reference} {done}.")
        else:
            messages.info(request, f"Hazard {hazard.reference} was already {'marked' if mark else 'restored'}.")
        return redirect("hazardlog:hazard_detail", log.pk, hazard.pk)
    return render(
        request,
        "hazardlog/hazard_entered_in_error.html",
        {"log": log, "hazard": hazard, "form": form, "form_has_errors": bool(form.errors)},
        status=400 if form.errors else 200,
    )


def _posted(request):
    return request.POST if request.method == "POST" else None


def _form_page(request, log, editor: HazardEditor):
    errors = editor.summary()
    return render(
        request,
        "hazardlog/hazard_form.html",
        {"log": log, "editor": editor, "errors": errors, "form_has_errors": bool(errors)},
        status=409 if editor.conflict else 200,
    )
