from django.contrib import admin
from django.urls import include, path

from hazardlog import accounts
from hazardlog.operations.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # Before Django's own, which it replaces: reset only where e-mail is configured.
    path("accounts/password_reset/", accounts.password_reset, name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("resources/", include("resources.urls")),
    path("", include("safetycase.urls")),
    path("", include("upstream.urls")),
    path("", include("hazardlog.web.urls")),
]
