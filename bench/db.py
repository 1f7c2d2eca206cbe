"""A throwaway database for a benchmark: created with every migration, destroyed afterwards."""

from contextlib import contextmanager

from django.db import connection


@contextmanager
def throwaway_database():
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
