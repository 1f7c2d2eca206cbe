"""The Django admin for every model. Hazard logs and hazards can never be deleted here:
no delete permission, no bulk delete action."""

import logging

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.http import require_POST
from import_export.admin import ImportExportMixin
from import_export.forms import ConfirmImportForm, ExportForm, ImportForm
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Cause,
    Control,
    Hazard,
    HazardLog,
    ImportRecord,
    LikelihoodLevel,
    LogIssue,
    Membership,
    RiskAssessment,
    RiskCell,
    RiskMatrix,
    RiskRating,
    SeverityLevel,
)
from .spreadsheet import ControlRowResource, SafeCSV, SafeXLSX
from .workbook.guard import UploadRefused, megabytes

logger = logging.getLogger(__name__)

# Evidence links are typed without a scheme as often as with one: assume https, as Django 6 will.
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


admin.site.unregister(User)


@admin.register(User)
class KeepUsersAdmin(UserAdmin):
    """People leave by being deactivated (untick "Active"), never deleted: deleting a user would blank
    the name on every change they made (simple-history keeps the user as a nullable foreign key)."""

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class ChangeReasonForm(forms.ModelForm):
    """An admin change or add form that asks why: the answer is the history's change reason."""

    change_reason = forms.CharField(
        label="Reason for the change",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the history of this record and of every record saved with it.",
        error_messages={"required": "Enter the reason for the change."},
    )


class ChangeReasonAdmin(SimpleHistoryAdmin):
    """Every save through the admin (change, add, revert from history) records who and why, for the
    record and for each inline record saved with it."""

    form = ChangeReasonForm

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            return [name for name in fields if name != "change_reason"]  # a read-only page saves nothing
        return fields

    def save_model(self, request, obj, form, change):
        obj._change_reason = form.cleaned_data["change_reason"]
        super().save_model(request, obj, form, change)  # sets _history_user

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            inline_form.instance._change_reason = form.cleaned_data["change_reason"]
            inline_form.instance._history_user = request.user
        super().save_formset(request, form, formset, change)


class NoDeleteAdmin(ChangeReasonAdmin):
    """History in the admin, and no way to delete."""

    formfield_overrides = URL_FIELDS

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class NoDeleteInline:
    extra = 0
    formfield_overrides = URL_FIELDS

    def has_delete_permission(self, request, obj=None):
        return False


def _matrix_in_use(obj) -> bool:
    """Whether a log uses this matrix (or the matrix of this level, rating or cell)."""
    matrix = obj if isinstance(obj, RiskMatrix) else getattr(obj, "matrix", None)
    return bool(matrix is not None and matrix.pk and matrix.logs.exists())


class MatrixInUseReadOnly:
    """A matrix that a log uses is read-only here: changing a cell would silently re-rate every
    assessment of every log using it, approved issues or not. Copy the matrix, edit the copy, and have
    each log's CSO choose it in the log's details (which records the re-rating with a reason)."""

    def has_change_permission(self, request, obj=None):
        return not (obj is not None and _matrix_in_use(obj)) and super().has_change_permission(request, obj)


class MatrixInUseInline(MatrixInUseReadOnly):
    def has_add_permission(self, request, obj):
        return not (obj is not None and _matrix_in_use(obj)) and super().has_add_permission(request, obj)


class SeverityInline(MatrixInUseInline, NoDeleteInline, admin.TabularInline):
    model = SeverityLevel


class LikelihoodInline(MatrixInUseInline, NoDeleteInline, admin.TabularInline):
    model = LikelihoodLevel


class RatingInline(MatrixInUseInline, NoDeleteInline, admin.TabularInline):
    model = RiskRating


@admin.register(RiskMatrix)
class RiskMatrixAdmin(MatrixInUseReadOnly, NoDeleteAdmin):
    list_display = ["name", "version", "is_complete"]
    search_fields = ["name", "description"]
    inlines = [SeverityInline, LikelihoodInline, RatingInline]

    @admin.display(boolean=True, description="complete")
    def is_complete(self, obj):
        return obj.is_complete


@admin.register(RiskCell)
class RiskCellAdmin(MatrixInUseReadOnly, NoDeleteAdmin):
    list_display = ["matrix", "likelihood", "severity", "rating"]
    list_filter = ["matrix"]
    list_select_related = ["matrix", "likelihood", "severity", "rating"]


@admin.register(SeverityLevel, LikelihoodLevel)
class LevelAdmin(MatrixInUseReadOnly, NoDeleteAdmin):
    list_display = ["name", "rank", "matrix"]
    list_filter = ["matrix"]
    search_fields = ["name", "definition"]


@admin.register(RiskRating)
class RiskRatingAdmin(MatrixInUseReadOnly, NoDeleteAdmin):
    list_display = ["number", "label", "colour", "matrix"]
    list_filter = ["matrix"]


@admin.register(HazardLog)
class HazardLogAdmin(NoDeleteAdmin):
    list_display = ["name", "standard", "clinical_safety_officer", "version", "document_status", "updated_at"]
    list_filter = ["standard", "document_status", "matrix"]
    search_fields = ["name", "clinical_safety_officer", "programme", "document_reference"]


class CauseInline(NoDeleteInline, admin.TabularInline):
    model = Cause
    fields = ["number", "description", "withdrawn", "withdrawn_reason"]


class ControlInline(NoDeleteInline, admin.StackedInline):
    model = Control
    fields = [
        ("number", "kind", "control_type", "implementation_status"),
        "description",
        "causes",
        ("owner", "evidence_url"),
        "evidence",
        ("withdrawn", "withdrawn_reason"),
    ]
    filter_horizontal = ["causes"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Offer only the causes of the hazard being edited.
        if db_field.name == "causes":
            hazard_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            kwargs["queryset"] = Cause.objects.filter(hazard_id=hazard_id) if hazard_id else Cause.objects.none()
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class AssessmentInline(NoDeleteInline, admin.TabularInline):
    model = RiskAssessment
    fields = ["stage", "severity", "likelihood", "rating", "rationale", "assessed_by", "assessed_at"]
    readonly_fields = ["rating"]
    max_num = 2

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Offer only the levels of the log's own matrix.
        if db_field.name in ("severity", "likelihood"):
            hazard_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            model = db_field.related_model
            if hazard_id:
                kwargs["queryset"] = model.objects.filter(matrix__logs__hazards__id=hazard_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Hazard)
class HazardAdmin(NoDeleteAdmin):
    list_display = ["reference", "name", "log", "status", "owner", "updated_at"]
    list_filter = ["log", "status", "controls__control_type", "assessments__rating__number"]
    list_select_related = ["log"]
    search_fields = [
        "reference",
        "name",
        "description",
        "clinical_impact",
        "causes__description",
        "controls__description",
    ]
    inlines = [CauseInline, ControlInline, AssessmentInline]
    readonly_fields = ["updated_at", "revision"]


@admin.register(Cause)
class CauseAdmin(NoDeleteAdmin):
    list_display = ["hazard", "number", "description", "withdrawn"]
    list_filter = ["withdrawn", "hazard__log"]
    search_fields = ["description", "hazard__reference"]
    list_select_related = ["hazard"]


class ControlImportForm(ImportForm):
    """The import's first step: which log the file's Hazard Numbers belong to, and the file."""

    log = forms.ModelChoiceField(
        queryset=HazardLog.objects.order_by("name"),
        label="Hazard log",
        help_text="The log the file was exported from: each row is matched to its control by Hazard Number "
        "and Control Number.",
    )
    field_order = ["log", "resource", "import_file", "format"]

    def clean_import_file(self):
        # Checked before the upload is stored for the preview; the readers check its content.
        upload = self.cleaned_data["import_file"]
        limit = settings.HAZARDLOG_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise ValidationError(
                f"{upload.name} is {megabytes(upload.size)}; the largest file accepted is {megabytes(limit)}."
            )
        return upload


class ControlConfirmImportForm(ConfirmImportForm):
    log = forms.ModelChoiceField(queryset=HazardLog.objects.all(), widget=forms.HiddenInput)

    def chosen_log(self):
        """The log the preview was made for, named on the confirm page."""
        return HazardLog.objects.filter(pk=self.initial.get("log")).first()


@admin.register(Control)
class ControlAdmin(ImportExportMixin, NoDeleteAdmin):
    """Exports the data file, and imports it back to update controls (hazardlog.spreadsheet says what an
    import may change). The import is all-or-nothing, at the preview and again at the confirm."""

    resource_classes = [ControlRowResource]
    export_formats = [SafeXLSX, SafeCSV]
    import_formats = [SafeXLSX, SafeCSV]
    # Every column, always: a file without its key columns could not be imported back. (The selectable-fields
    # form's template also uses inline handlers and styles, which the Content-Security-Policy blocks.)
    export_form_class = ExportForm
    import_form_class = ControlImportForm
    confirm_form_class = ControlConfirmImportForm
    import_template_name = "admin/hazardlog/control/import.html"
    list_display = ["hazard", "number", "kind", "control_type", "implementation_status", "owner", "withdrawn"]
    list_filter = ["kind", "control_type", "implementation_status", "withdrawn", "hazard__log"]
    search_fields = ["description", "owner", "hazard__reference"]
    list_select_related = ["hazard"]

    def has_import_permission(self, request):
        # The import changes and adds controls: a view-only staff member may not.
        return self.has_change_permission(request) and self.has_add_permission(request)

    def get_import_resource_kwargs(self, request, **kwargs):
        form = kwargs.get("form")
        cleaned = getattr(form, "cleaned_data", None) or {}
        return {"log": cleaned.get("log")}

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["log"] = import_form.cleaned_data["log"].pk
        return initial

    def get_import_data_kwargs(self, **kwargs):
        # The admin's confirm step does not roll back rows that fail validation (pitfalls.md).
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def write_to_tmp_storage(self, import_file, input_format):
        input_format.file_name = import_file.name  # the readers name the file in their messages
        return super().write_to_tmp_storage(import_file, input_format)

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, UploadRefused):
            form.add_error("import_file", str(e))
        else:
            logger.exception("Admin import could not read an upload")
            form.add_error(
                "import_file", "The file could not be read. Check it is the log's data export (.xlsx or .csv)."
            )

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        # import-export names the stored upload on the uploaded file object (a refused read takes it out of
        # the form's cleaned_data, so it is found in request.FILES).
        name = getattr(request.FILES.get("import_file"), "tmp_storage_name", None)
        if name and "confirm_form" not in context:
            # Refused at the preview: nothing will confirm it, so it is not kept.
            self.get_tmp_storage_class()(name=name).remove()
        return response

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        """The confirm step, as import-export's but: a stored upload that is gone or unreadable is
        explained, not a server error; and a file that fails now (the log changed since the preview) shows
        its errors with nothing written, instead of import-export's "Import finished" message."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        confirm_form = self.create_confirm_form(request)
        if not confirm_form.is_valid():
            return super().process_import(request, **kwargs)
        formats = self.get_import_formats()
        try:
            input_format = formats[int(confirm_form.cleaned_data["format"])](encoding=self.from_encoding)
        except (ValueError, IndexError):
            return HttpResponseBadRequest("Unknown import format.")
        input_format.file_name = confirm_form.cleaned_data["original_file_name"]
        storage = self.get_tmp_storage_class()(
            name=confirm_form.cleaned_data["import_file_name"], read_mode=input_format.get_read_mode()
        )
        try:
            dataset = input_format.create_dataset(storage.read())
            result = self.process_dataset(dataset, confirm_form, request, **kwargs)
        except UploadRefused as refusal:
            result = None
            messages.error(request, f"Nothing was imported. {refusal}")
        finally:
            storage.remove()
        if result is not None and not (result.has_errors() or result.has_validation_errors()):
            return self.process_result(result, request)
        if result is not None:
            messages.error(request, "Nothing was imported: the file has the problems listed below.")
        return self._import_page(request, result, confirm_form.cleaned_data["log"])

    def _import_page(self, request, result, log):
        """The import page with a fresh upload form (the log chosen again) and the refused result."""
        form = self.get_import_form_class(request)(
            self.get_import_formats(), self.get_import_resource_classes(request), initial={"log": log}
        )
        resource = ControlRowResource(log=log)
        context = {
            **self.admin_site.each_context(request),
            **self.get_import_context_data(),
            "title": "Import",
            "form": form,
            "opts": self.model._meta,
            "media": self.media + form.media,
            "fields_list": [(resource.get_display_name(), [f.column_name for f in resource.get_user_visible_fields()])],
            "import_error_display": self.import_error_display,
            "result": result,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], context)


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(NoDeleteAdmin):
    list_display = ["hazard", "stage", "severity", "likelihood", "rating", "assessed_by", "assessed_at"]
    list_filter = ["stage", "rating__number", "hazard__log"]
    search_fields = ["hazard__reference", "rationale"]
    readonly_fields = ["rating"]
    list_select_related = ["hazard", "severity", "likelihood", "rating"]


@admin.register(Membership)
class MembershipAdmin(ChangeReasonAdmin):
    list_display = ["user", "log", "role"]
    list_filter = ["role", "log"]
    search_fields = ["user__username", "user__email", "log__name"]


@admin.register(LogIssue)
class LogIssueAdmin(admin.ModelAdmin):
    """An approved issue never changes, so it has no simple-history records (and no history view for them)."""

    list_display = ["log", "number", "approved_by", "approved_at", "workbook_sha256"]
    list_filter = ["log"]
    # The stored files are offered as downloads rather than shown as raw bytes.
    fields = readonly_fields = [
        "log",
        "number",
        "meaning",
        "approved_by",
        "approved_at",
        "workbook_file",
        "workbook_sha256",
        "snapshot_file",
        "snapshot_sha256",
    ]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        download = self.admin_site.admin_view(self.download)
        name = "hazardlog_logissue_download"
        return [path("<int:issue_id>/download/<str:kind>/", download, name=name), *super().get_urls()]

    def download(self, request, issue_id, kind):
        from hazardlog.web.change import issue_file_response

        issue = get_object_or_404(LogIssue.objects.select_related("log"), pk=issue_id)
        if not self.has_view_permission(request, issue):
            raise PermissionDenied
        return issue_file_response(request, issue, kind)

    @admin.display(description="workbook")
    def workbook_file(self, obj):
        url = reverse("admin:hazardlog_logissue_download", args=[obj.pk, "workbook"])
        return format_html('<a href="{}">Download the NHS workbook (.xlsx)</a>', url)

    @admin.display(description="snapshot")
    def snapshot_file(self, obj):
        url = reverse("admin:hazardlog_logissue_download", args=[obj.pk, "json"])
        return format_html('<a href="{}">Download the JSON snapshot</a>', url)


@admin.register(ImportRecord)
class ImportRecordAdmin(admin.ModelAdmin):
    list_display = ["file_name", "log", "user", "status", "created_at", "sha256"]
    list_filter = ["status", "log"]
    exclude = ["content"]
    readonly_fields = [
        "log",
        "user",
        "file_name",
        "sha256",
        "size",
        "status",
        "base_fingerprint",
        "counts",
        "report",
        "applied_at",
    ]

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
