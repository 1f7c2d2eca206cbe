"""PostgreSQL: an import's new hazards get their full-text documents from one SELECT that parallel workers can
share (migration 0014, imports._set_revision_and_documents), and the row trigger keeps a document given only
on the update that takes a hazard from revision 0, which only an import's own new hazards have."""

import pytest
from django.db import connection

from hazardlog.imports import confirm_import, preview_import
from hazardlog.models import Hazard
from tests import factories
from tests.import_files import hazard_row, workbook

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's full-text documents")


def stored_and_computed(hazard_id: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT h.search_document::text, hazardlog_search_document(h)::text FROM hazardlog_hazard h"
            " WHERE h.id = %s",
            [hazard_id],
        )
        return cursor.fetchone()


def test_the_document_function_may_run_in_parallel_workers(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT proparallel FROM pg_proc WHERE proname = 'hazardlog_search_document'")
        assert cursor.fetchone() == ("s",)  # safe


def test_imported_hazards_get_the_documents_the_trigger_would_compute(member_log, user):
    rows = [hazard_row(f"H{n}", name=f"Imported hazard {n}", causes="1) Barcode scanner offline") for n in (1, 2, 3)]
    confirm_import(preview_import(member_log, "log.xlsx", workbook(rows), user), user)
    hazards = Hazard.objects.filter(log=member_log)
    assert hazards.count() == 3 and not hazards.filter(revision=0).exists()
    for hazard in hazards:
        stored, computed = stored_and_computed(hazard.pk)
        assert stored == computed and "'barcod'" in stored


def test_a_document_given_is_kept_only_on_leaving_revision_0(member_log):
    hazard = factories.make_hazard(member_log, "H1", name="Allergy banner missing")
    with connection.cursor() as cursor:
        # Any other update computes the document, whatever it is given.
        cursor.execute("UPDATE hazardlog_hazard SET search_document = 'bogus', name = name WHERE id = %s", [hazard.pk])
        assert stored_and_computed(hazard.pk)[0] == stored_and_computed(hazard.pk)[1]
        # An import's new hazard (revision 0) given its document when its revision is set keeps it.
        cursor.execute("UPDATE hazardlog_hazard SET revision = 0 WHERE id = %s", [hazard.pk])
        cursor.execute("UPDATE hazardlog_hazard SET revision = 1, search_document = 'given' WHERE id = %s", [hazard.pk])
        assert stored_and_computed(hazard.pk)[0] == "'given'"
        # Leaving revision 0 without one computes it.
        cursor.execute("UPDATE hazardlog_hazard SET revision = 0 WHERE id = %s", [hazard.pk])
        cursor.execute("UPDATE hazardlog_hazard SET revision = 1 WHERE id = %s", [hazard.pk])
        stored, computed = stored_and_computed(hazard.pk)
        assert stored == computed and "'allergi'" in stored
