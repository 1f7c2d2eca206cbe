"""`/healthz` for a load balancer or monitor: no login, no data, 200 only when the app can serve.

Exempt from the HTTPS redirect (SECURE_REDIRECT_EXEMPT in settings): load balancers often check over plain
HTTP. The Host header must still be one of ALLOWED_HOSTS.
"""

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False


def migrations_applied() -> bool:
    executor = MigrationExecutor(connection)
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


@login_not_required
@require_safe
@never_cache
def healthz(request):
    # Migrations are only asked about once the database answers.
    failed = "database" if not database_answers() else "migrations" if not migrations_applied() else None
    if failed:
        return JsonResponse({"status": "unavailable", "failed": failed}, status=503)
    return JsonResponse({"status": "ok"})
