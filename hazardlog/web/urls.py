from django.urls import path

from . import change_urls, hazards, logs, matrix, transfer

app_name = "hazardlog"
urlpatterns = [
    path("", logs.log_list, name="log_list"),
    path("logs/new/", logs.log_create, name="log_create"),
    path("logs/<int:log_id>/", logs.log_detail, name="log_detail"),
    path("logs/<int:log_id>/edit/", logs.log_edit, name="log_edit"),
    path("logs/<int:log_id>/hazards/new/", hazards.hazard_create, name="hazard_create"),
    path("logs/<int:log_id>/hazards/<int:hazard_id>/", hazards.hazard_detail, name="hazard_detail"),
    path("logs/<int:log_id>/hazards/<int:hazard_id>/edit/", hazards.hazard_edit, name="hazard_edit"),
    path(
        "logs/<int:log_id>/hazards/<int:hazard_id>/entered-in-error/",
        hazards.hazard_entered_in_error,
        name="hazard_entered_in_error",
    ),
    path("logs/<int:log_id>/matrix/", matrix.matrix, name="matrix"),
    path("logs/<int:log_id>/export/<str:kind>/", transfer.export, name="export"),
    path("logs/<int:log_id>/import/", transfer.import_upload, name="import_upload"),
    path("logs/<int:log_id>/import/<int:import_id>/", transfer.import_preview, name="import_preview"),
    path("matrix/<int:matrix_id>/colours.css", matrix.matrix_css, name="matrix_css"),
    *change_urls.urlpatterns,
]
