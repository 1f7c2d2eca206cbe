"""Change control and membership URLs, included into the `hazardlog` namespace by hazardlog/web/urls.py."""

from django.urls import path

from . import change, members

urlpatterns = [
    path("logs/<int:log_id>/hazards/<int:hazard_id>/history/", change.hazard_history, name="hazard_history"),
    path("logs/<int:log_id>/history/", change.log_history, name="log_history"),
    path("logs/<int:log_id>/issues/", change.issue_list, name="issue_list"),
    path("logs/<int:log_id>/issues/approve/", change.issue_approve, name="issue_approve"),
    path("logs/<int:log_id>/issues/compare/", change.issue_compare, name="issue_compare"),
    path("logs/<int:log_id>/issues/<int:issue_id>/<str:kind>/", change.issue_download, name="issue_download"),
    path("logs/<int:log_id>/members/", members.member_list, name="member_list"),
    path("logs/<int:log_id>/members/add/", members.member_add, name="member_add"),
    path("logs/<int:log_id>/members/<int:membership_id>/", members.member_change, name="member_change"),
]
