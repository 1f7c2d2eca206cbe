"""The Django admin for every model. Hazard logs and hazards can never be deleted here:
no delete permission, no bulk delete action."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from import_export.admin import ExportMixin
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


class NoDeleteAdmin(SimpleHistoryAdmin):
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


@admin.register(Control)
class ControlAdmin(ExportMixin, NoDeleteAdmin):
    # Export only: data comes in through the workbook import (checked, previewed, recorded, all-or-nothing).
    resource_classes = [ControlRowResource]
    export_formats = [SafeXLSX, SafeCSV]
    list_display = ["hazard", "number", "kind", "control_type", "implementation_status", "owner", "withdrawn"]
    list_filter = ["kind", "control_type", "implementation_status", "withdrawn", "hazard__log"]
    search_fields = ["description", "owner", "hazard__reference"]
    list_select_related = ["hazard"]


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(NoDeleteAdmin):
    list_display = ["hazard", "stage", "severity", "likelihood", "rating", "assessed_by", "assessed_at"]
    list_filter = ["stage", "rating__number", "hazard__log"]
    search_fields = ["hazard__reference", "rationale"]
    readonly_fields = ["rating"]
    list_select_related = ["hazard", "severity", "likelihood", "rating"]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
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
        return issue_file_response(issue, kind)

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
