from django.contrib import admin
from django.db import models

from .models import StandardLink


@admin.register(StandardLink)
class StandardLinkAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "order", "last_checked", "url"]
    list_filter = ["category"]
    list_editable = ["order"]
    search_fields = ["title", "description", "url"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
