"""Where a grading work folder's gradebook lives: SQLite in the folder, or a PostgreSQL server.

``--db URL`` is nbgrader's ``db_url``. ``postgresql://user@host:5432/course`` (or ``postgres://``)
is opened with psycopg 3; ``sqlite:///path`` is a SQLite file; ``sqlite`` alone means the
embedded default, ``<workdir>/course/gradebook.db``. A grading run remembers the URL it was
given in ``<workdir>/gradebook-url`` (readable by its owner only), so that ``formgrade``,
``feedback``, ``export`` and a re-grade of the same folder open the same gradebook without
being told again. Keep passwords out of the URL: libpq's ``~/.pgpass`` and ``PGPASSWORD``
are read as usual.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

#: the file in a work folder that names its gradebook when it is not the embedded SQLite file
REMEMBERED = "gradebook-url"

_POSTGRES = re.compile(r"^postgres(?:ql)?(?:\+[a-z0-9_]+)?://", re.IGNORECASE)


class BadDatabaseURL(ValueError):
    """A ``--db`` value that names no database the course can use."""


def sqlalchemy_url(url: str) -> str:
    """The SQLAlchemy URL nbgrader is given for ``url`` (PostgreSQL through psycopg 3).

    >>> sqlalchemy_url("postgresql://grader@db.example.org/course")
    'postgresql+psycopg://grader@db.example.org/course'
    >>> sqlalchemy_url("sqlite:////srv/course/gradebook.db")
    'sqlite:////srv/course/gradebook.db'
    """
    if _POSTGRES.match(url):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return url
    raise BadDatabaseURL(
        f"--db {describe(url)}: not a gradebook URL. Give postgresql://USER@HOST:PORT/DATABASE "
        "(a PostgreSQL server), sqlite:////absolute/path.db, or sqlite for the work folder's own file.")


def describe(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***`` (for messages and reports).

    >>> describe("postgresql://grader:secret@db/course")
    'postgresql://grader:***@db/course'
    """
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


def remembered(workdir: Path) -> str | None:
    """The gradebook URL a grading run of ``workdir`` was given, or None (the embedded SQLite file)."""
    path = Path(workdir) / REMEMBERED
    return path.read_text().strip() or None if path.is_file() else None


def remember(workdir: Path, url: str | None) -> None:
    """Record ``url`` as ``workdir``'s gradebook; None or ``sqlite`` goes back to the embedded file."""
    path = Path(workdir) / REMEMBERED
    if url is None or url == "sqlite":
        path.unlink(missing_ok=True)
        return
    sqlalchemy_url(url)  # refuse what cannot be opened before writing it down
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(url + "\n")


def is_server(url: str) -> bool:
    """Whether ``url`` names a database server (rather than a SQLite file)."""
    return bool(_POSTGRES.match(url))
