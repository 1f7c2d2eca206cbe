from django.urls import path
from django.views.generic import RedirectView

# Placeholder until the resources pages land.
app_name = "resources"
urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False), name="index"),
]
