"""The hand-off's records in the admin, read-only: they are written by the pages, with their reasons."""

from django.contrib import admin

from .models import Evaluation, TransferDecision, UpstreamHazard, UpstreamSource


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(UpstreamSource)
class UpstreamSourceAdmin(ReadOnlyAdmin):
    list_display = ["manufacturer", "system", "version", "log", "brought_in_at"]
    exclude = ["content"]


@admin.register(UpstreamHazard)
class UpstreamHazardAdmin(ReadOnlyAdmin):
    list_display = ["reference", "name", "source"]


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ["reference", "manufacturer", "system", "applicable", "needs_review", "log"]
    list_filter = ["applicable", "needs_review"]


@admin.register(TransferDecision)
class TransferDecisionAdmin(ReadOnlyAdmin):
    list_display = ["evaluation", "control_number", "decision", "owner"]
