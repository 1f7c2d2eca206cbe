"""A consistent copy of a live SQLite database, through SQLite's online backup API (pages are copied
while the app keeps running; a write during the copy restarts it). PostgreSQL has pg_dump (README)."""

import sqlite3
from pathlib import Path

from django.db import connection


class BackupRefused(Exception):
    pass


def backup_sqlite(path: Path) -> None:
    if connection.vendor != "sqlite":
        raise BackupRefused(
            f"backup_database copies a SQLite database; this one is {connection.vendor}. "
            "Back up PostgreSQL with pg_dump -Fc (see Operations in the README)."
        )
    if connection.is_in_memory_db():
        raise BackupRefused("The database is in memory: there is nothing on disk to back up.")
    if path.exists():
        raise BackupRefused(f"{path} exists already: give the path of a new file, so that no backup is overwritten.")
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
