"""The safety case records in the admin: every change asks why (hazardlog's admin rule), none is deleted."""

from django.contrib import admin

from hazardlog.admin import NoDeleteAdmin

from .models import RelatedDocument, SafetyCase, TestIssue


@admin.register(SafetyCase)
class SafetyCaseAdmin(NoDeleteAdmin):
    list_display = ["log", "report_reference", "updated_at"]


@admin.register(RelatedDocument)
class RelatedDocumentAdmin(NoDeleteAdmin):
    list_display = ["title", "reference", "version", "log"]


@admin.register(TestIssue)
class TestIssueAdmin(NoDeleteAdmin):
    list_display = ["reference", "status", "log"]
    list_filter = ["status"]
