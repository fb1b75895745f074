"""sqlite fixes applied by the tool itself (standard library sqlite3)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

_PK_COLUMN = re.compile(r'^(\s*)id INTEGER NOT NULL,\s*$', re.M)
_PK_CONSTRAINT = re.compile(r',\s*\n\s*PRIMARY KEY \(id\)')


def enable_wal(path: Path) -> None:
    """Switch a database to WAL journaling (persistent; readers no longer block writers)."""
    db = sqlite3.connect(str(path))
    try:
        db.execute('PRAGMA journal_mode=WAL')
    finally:
        db.close()


def autoincrement_sql(name: str, create_sql: str) -> str | None:
    """The CREATE TABLE statement of `_ai_<name>` with `id INTEGER PRIMARY KEY
    AUTOINCREMENT`, or None when the table has no plain integer `id` primary key."""
    if 'AUTOINCREMENT' in create_sql or not _PK_COLUMN.search(create_sql) \
            or not _PK_CONSTRAINT.search(create_sql):
        return None
    sql = _PK_CONSTRAINT.sub('', create_sql, count=1)
    sql = _PK_COLUMN.sub(r'\1id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,', sql, count=1)
    return re.sub(r'^CREATE TABLE "?%s"? ' % re.escape(name), 'CREATE TABLE _ai_%s ' % name,
                  sql, count=1)


def rebuild_with_autoincrement(path: Path) -> list[str]:
    """Rebuild every table whose primary key is a plain integer `id` with AUTOINCREMENT.

    Heat on sqlite: during a stack update Heat deletes a resource's old properties row and
    later deletes "the old id" again; sqlite without AUTOINCREMENT hands that id to the
    new row, Heat deletes its own fresh row and the update hangs.  Idempotent; returns the
    rebuilt tables."""
    db = sqlite3.connect(str(path), isolation_level=None)
    rebuilt = []
    try:
        db.execute('PRAGMA foreign_keys=OFF')
        db.execute('PRAGMA legacy_alter_table=ON')   # keep other tables' FK text as is
        tables = db.execute("SELECT name, sql FROM sqlite_master WHERE type='table' "
                            "AND name NOT LIKE 'sqlite_%'").fetchall()
        db.execute('BEGIN')
        for name, create_sql in tables:
            new_sql = autoincrement_sql(name, create_sql)
            if new_sql is None:
                continue
            indexes = [row[0] for row in db.execute(
                "SELECT sql FROM sqlite_master WHERE type='index' AND tbl_name=? "
                "AND sql IS NOT NULL", (name,))]
            columns = ', '.join('"%s"' % row[1]
                                for row in db.execute(f'PRAGMA table_info("{name}")'))
            db.execute(new_sql)
            db.execute(f'INSERT INTO _ai_{name} ({columns}) SELECT {columns} FROM "{name}"')
            db.execute(f'DROP TABLE "{name}"')
            db.execute(f'ALTER TABLE _ai_{name} RENAME TO "{name}"')
            for index_sql in indexes:
                db.execute(index_sql)
            rebuilt.append(name)
        db.execute('COMMIT')
    finally:
        db.close()
    return rebuilt
