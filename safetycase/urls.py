from django.urls import path

from . import views

app_name = "safetycase"
urlpatterns = [
    path("logs/<int:log_id>/safety-case/", views.safety_case, name="safety_case"),
    path("logs/<int:log_id>/safety-case/details/", views.details_edit, name="details_edit"),
    path("logs/<int:log_id>/safety-case/sections/<str:section>/", views.section_edit, name="section_edit"),
    path("logs/<int:log_id>/safety-case/documents/new/", views.document_edit, name="document_add"),
    path("logs/<int:log_id>/safety-case/documents/<int:document_id>/", views.document_edit, name="document_edit"),
    path("logs/<int:log_id>/safety-case/test-issues/new/", views.test_issue_edit, name="test_issue_add"),
    path(
        "logs/<int:log_id>/safety-case/test-issues/<int:test_issue_id>/", views.test_issue_edit, name="test_issue_edit"
    ),
    path("logs/<int:log_id>/safety-case/checks/", views.checks, name="checks"),
    path("logs/<int:log_id>/safety-case/report-preview/", views.report_preview, name="report_preview"),
    path("logs/<int:log_id>/safety-case/reviews/", views.reviews, name="reviews"),
    path("logs/<int:log_id>/safety-case/reviews/record/", views.review_record, name="review_record"),
    path("account/signature/", views.signature_details, name="signature_details"),
    path(
        "logs/<int:log_id>/issues/<int:issue_id>/safety-case-report/<str:report_format>/",
        views.report_download,
        name="report_download",
    ),
]
