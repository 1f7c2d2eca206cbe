from django.urls import path

from . import views

app_name = "upstream"
urlpatterns = [
    path("logs/<int:log_id>/upstream/", views.source_list, name="source_list"),
    path("logs/<int:log_id>/upstream/bring-in/", views.bring_in, name="bring_in"),
    path("logs/<int:log_id>/upstream/sources/<int:source_id>/", views.source_detail, name="source_detail"),
    path("logs/<int:log_id>/upstream/sources/<int:source_id>/file/", views.source_download, name="source_download"),
    path("logs/<int:log_id>/upstream/evaluations/<int:evaluation_id>/", views.evaluation, name="evaluation"),
    path(
        "logs/<int:log_id>/upstream/evaluations/<int:evaluation_id>/start/",
        views.evaluation_start,
        name="evaluation_start",
    ),
    path(
        "logs/<int:log_id>/upstream/evaluations/<int:evaluation_id>/applicability/",
        views.applicability,
        name="applicability",
    ),
    path(
        "logs/<int:log_id>/upstream/evaluations/<int:evaluation_id>/transfers/<int:transfer_id>/",
        views.transfer_decide,
        name="transfer_decide",
    ),
    path("logs/<int:log_id>/upstream/evaluations/<int:evaluation_id>/review/", views.review, name="review"),
]
