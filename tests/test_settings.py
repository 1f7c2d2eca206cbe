"""Production settings: with DEBUG off, Django's deployment checks pass and a missing or malformed
variable stops the start with a message that names it."""

import os
import re
import secrets
import subprocess
import sys

from django.conf import settings

# STATICFILES_DIRS names static/, which `make assets` builds; a checkout without it warns about that
# folder only (staticfiles.W004), which says nothing about how production is configured.
TOLERATED = {"staticfiles.W004"}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh process with only the given variables (and PATH) set."""
    clean_env = {"PATH": os.environ.get("PATH", ""), **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env(**overrides: str) -> dict:
    return {"SECRET_KEY": secrets.token_urlsafe(64), "ALLOWED_HOSTS": "hazardlog.example.nhs.uk", **overrides}


def test_the_deployment_checks_pass_with_debug_off():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_env())
    output = result.stdout + result.stderr
    issues = set(re.findall(r"\(([a-z_]+\.[A-Z]\d{3})\)", output))
    assert issues <= TOLERATED, output
    if not issues:
        assert result.returncode == 0, output
        assert "no issues" in output


def test_debug_false_is_the_same_as_debug_unset():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_env(DEBUG="false"))
    issues = set(re.findall(r"\(([a-z_]+\.[A-Z]\d{3})\)", result.stdout + result.stderr))
    assert issues <= TOLERATED, result.stdout + result.stderr


def test_starting_without_a_secret_key_fails_naming_it():
    result = manage("check", ALLOWED_HOSTS="hazardlog.example.nhs.uk")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set" in result.stderr


def test_a_malformed_debug_value_is_named():
    result = manage("check", **production_env(DEBUG="maybe"))
    assert result.returncode != 0
    assert "ImproperlyConfigured: DEBUG must be true or false, not 'maybe'" in result.stderr


def test_a_malformed_number_is_named():
    result = manage("check", **production_env(SECURE_HSTS_SECONDS="a year"))
    assert result.returncode != 0
    assert "SECURE_HSTS_SECONDS must be a whole number" in result.stderr
