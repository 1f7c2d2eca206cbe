"""No lost updates under real concurrency: two saves of the same hazard from the same revision, at the
same time, in two database connections. Exactly one wins; the other is refused, and history holds one
change. SQLite serialises whole-database writes, so this needs PostgreSQL's row locks to mean anything."""

import threading

import pytest
from django.db import connection, connections

from hazardlog import services
from hazardlog.models import Hazard
from tests import factories

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent saves need PostgreSQL (SQLite locks the whole file)"
)


def test_two_simultaneous_saves_from_one_revision_let_exactly_one_through(transactional_nhs_matrix, user):
    log = factories.make_log()
    hazard = factories.make_hazard(log, "H1")
    opened = Hazard.objects.get(pk=hazard.pk).revision  # its causes and controls moved it past the creation's
    barrier = threading.Barrier(2)
    outcomes = {}

    def save(name):
        try:
            copy = Hazard.objects.get(pk=hazard.pk)
            copy.name = f"Named by {name}"
            barrier.wait(timeout=10)
            services.save_hazard(copy, user=user, reason=name, causes=[], controls=[], assessments=[], revision=opened)
            outcomes[name] = "saved"
        except services.StaleHazard:
            outcomes[name] = "refused"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes.values()) == ["refused", "saved"]
    winner = next(name for name, outcome in outcomes.items() if outcome == "saved")
    stored = Hazard.objects.get(pk=hazard.pk)
    assert stored.name == f"Named by {winner}"
    assert stored.revision == opened + 1
    assert list(
        Hazard.history.filter(id=hazard.pk, revision=opened + 1).values_list("history_change_reason", flat=True)
    ) == [winner]
