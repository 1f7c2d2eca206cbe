from django.urls import path
from django.views.generic import RedirectView

# Placeholder until the web app pages land: the names below are the contract base.html relies on.
app_name = "hazardlog"
urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False), name="log_list"),
]
