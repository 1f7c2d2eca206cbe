"""Export a log (the NHS workbook or the data export) and import a workbook: upload → preview → confirm."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from hazardlog import exports, imports, presenters
from hazardlog.access import can, get_log_for_user
from hazardlog.forms import ImportForm
from hazardlog.models import ImportRecord, ImportStatus, Role
from hazardlog.workbook.writer import CellTooLong


@require_GET
@login_required
def export(request, log_id, kind):
    log = get_log_for_user(request.user, log_id)
    if kind not in exports.KINDS:
        raise Http404("No such export.")
    try:
        content, file_name, content_type = exports.export(log, kind)
    except CellTooLong as error:  # text saved before the check on save existed, or imported
        messages.error(request, f"The log could not be exported. {error}")
        return redirect("hazardlog:log_detail", log.pk)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=file_name)
    return response


@login_required
def import_upload(request, log_id):
    log = get_log_for_user(request.user, log_id, Role.EDITOR)
    form = ImportForm(request.POST if request.method == "POST" else None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["workbook"]
        record = imports.preview_import(log, upload.name, upload.read(), request.user)
        return redirect("hazardlog:import_preview", log.pk, record.pk)
    recent = ImportRecord.objects.filter(log=log).select_related("user").defer("content", "report")[:5]
    return render(request, "hazardlog/import_upload.html", {"log": log, "form": form, "recent": recent})


# Items of each list of the preview shown on one page: the page stays small whatever the report holds.
PREVIEW_PAGE_SIZES = {"created": 200, "updated": 25, "unchanged": 500, "missing_from_file": 500, "messages": 100}


def _preview_page(report: presenters.ImportReport, number):
    """(Django page over the preview's pages, {list name: its items on that page}). Page N shows the N-th
    slice of every list, so one set of previous/next links walks through them all."""
    lists = {name: getattr(report, name) for name in PREVIEW_PAGE_SIZES}
    pages = max(-(-len(items) // PREVIEW_PAGE_SIZES[name]) for name, items in lists.items()) or 1
    page = Paginator(range(pages), 1).get_page(number)
    start = page.number - 1
    shown = {
        name: items[start * PREVIEW_PAGE_SIZES[name] :][: PREVIEW_PAGE_SIZES[name]] for name, items in lists.items()
    }
    return page, shown


class CoverChoiceForm(forms.Form):
    """Asked on confirming a workbook whose cover page differs from the log's (imports.cover_differences)."""

    cover = forms.ChoiceField(
        label="What should happen to this log's cover page?",
        choices=[
            (imports.HAZARDS_ONLY, "Import the hazards only, and leave this log's cover page as it is"),
            (imports.REPLACE_COVER, "Import the hazards and replace this log's cover page with the workbook's"),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose whether to import the hazards only or to replace this log's cover page",
            "invalid_choice": "Choose whether to import the hazards only or to replace this log's cover page",
        },
    )


@login_required
def import_preview(request, log_id, import_id):
    """GET shows the report; POST action=confirm applies the import, action=cancel drops it. When the
    workbook's cover differs from the log's, confirming needs the cover choice (CoverChoiceForm)."""
    log = get_log_for_user(request.user, log_id, Role.EDITOR)
    records = ImportRecord.objects.select_related("user")
    if request.method != "POST":
        records = records.defer("content", "plan")  # the upload and its plan are only needed to confirm
    record = get_object_or_404(records, log=log, pk=import_id)
    differences = (record.report or {}).get("cover_differences", [])
    cover_form = CoverChoiceForm(request.POST if request.method == "POST" else None) if differences else None
    refusal = ""
    status = 200
    if request.method == "POST":
        try:
            action = request.POST.get("action")
            if action == "confirm" and cover_form is not None and not cover_form.is_valid():
                status = 400
            elif action == "confirm":
                cover = cover_form.cleaned_data["cover"] if cover_form is not None else None
                imports.confirm_import(record, request.user, cover=cover)
                kept = (
                    " (hazards only: the log's cover page was left as it was)" if cover == imports.HAZARDS_ONLY else ""
                )
                messages.success(request, f"{record.file_name} imported into the log{kept}.")
                return redirect("hazardlog:log_detail", log.pk)
            if action == "cancel":
                imports.cancel_import(record, request.user)
                messages.info(request, f"Import of {record.file_name} cancelled: nothing was changed.")
                return redirect("hazardlog:log_detail", log.pk)
        except imports.ImportRefused as error:
            refusal, status = str(error), 409
    report = presenters.ImportReport(record.report)
    page, shown = _preview_page(report, request.GET.get("page"))
    return render(
        request,
        "hazardlog/import_preview.html",
        {
            "log": log,
            "record": record,
            "report": report,
            "page": page,
            "shown": shown,
            "not_listed": (record.report or {}).get("messages_not_listed", {}),
            "can_confirm": record.status == ImportStatus.PREVIEWED and can(log.user_role, Role.EDITOR),
            "refusal": refusal,
            "cover_form": cover_form,
            "differences": differences,
            "form_has_errors": bool(refusal) or status == 400,
        },
        status=status,
    )
