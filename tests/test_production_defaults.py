"""Production defaults that serve well: persistent connections checked before reuse, cached templates."""

import json

from tests.test_settings import manage, production_env

SHOW = """
import json
from django.db import connection
from django.template import engines
print(json.dumps({
    "conn_max_age": connection.settings_dict["CONN_MAX_AGE"],
    "conn_health_checks": connection.settings_dict["CONN_HEALTH_CHECKS"],
    "loaders": [type(loader).__module__ for loader in engines["django"].engine.template_loaders],
}))
"""


def shown(**env: str) -> dict:
    result = manage("shell", "-c", SHOW, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_keeps_connections_with_health_checks_and_caches_templates():
    assert shown(**production_env()) == {
        "conn_max_age": 60,
        "conn_health_checks": True,
        "loaders": ["django.template.loaders.cached"],
    }


def test_development_opens_a_connection_per_request():
    assert shown(DEBUG="true")["conn_max_age"] == 0


def test_the_connection_age_can_be_set():
    assert shown(**production_env(DATABASE_CONN_MAX_AGE="0"))["conn_max_age"] == 0
