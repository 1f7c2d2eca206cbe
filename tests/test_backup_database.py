"""`manage.py backup_database PATH` copies a live SQLite database with the online backup API; a restored
copy passes verify_integrity. PostgreSQL is refused with a pointer to pg_dump."""

import os
import sqlite3
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection


def run_manage(database, *args: str) -> subprocess.CompletedProcess:
    """manage.py in a fresh process on a file-backed SQLite database (the test database is in memory)."""
    env = {"PATH": os.environ.get("PATH", ""), "DEBUG": "true", "DATABASE_URL": f"sqlite:///{database}"}
    command = [sys.executable, "manage.py", *args]
    return subprocess.run(command, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=300)


def manage(database, *args: str) -> subprocess.CompletedProcess:
    result = run_manage(database, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_a_restored_backup_passes_the_integrity_check(tmp_path):
    live, backup, restored = tmp_path / "live.sqlite3", tmp_path / "backup.sqlite3", tmp_path / "restored.sqlite3"
    manage(live, "migrate", "--no-input", "-v0")
    manage(live, "load_demo", "--username", "demo", "--password", "demo-hazard-log")  # with its approved issue

    assert "Backed up the database" in manage(live, "backup_database", str(backup)).stdout
    # Restore into an empty database, as `sqlite3 restored.sqlite3 ".restore backup.sqlite3"` does.
    with sqlite3.connect(backup) as source, sqlite3.connect(restored) as target:
        source.backup(target)

    assert "Approved issues matching their SHA-256: 1." in manage(restored, "verify_integrity").stdout
    assert "No migrations to apply" in manage(restored, "migrate", "--no-input").stdout


def test_an_existing_file_is_not_overwritten(tmp_path):
    live, backup = tmp_path / "live.sqlite3", tmp_path / "backup.sqlite3"
    manage(live, "migrate", "--no-input", "-v0")
    backup.write_bytes(b"an earlier backup")
    result = run_manage(live, "backup_database", str(backup))
    assert result.returncode != 0
    assert f"{backup} exists already" in result.stderr
    assert backup.read_bytes() == b"an earlier backup"


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite test database is in memory")
def test_an_in_memory_database_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="in memory"):
        call_command("backup_database", str(tmp_path / "backup.sqlite3"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_postgresql_is_refused_pointing_to_pg_dump(db, tmp_path):
    with pytest.raises(CommandError, match=r"pg_dump -Fc"):
        call_command("backup_database", str(tmp_path / "backup.sqlite3"))
