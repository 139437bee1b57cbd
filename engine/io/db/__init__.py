"""Records read from, and review runs written to, PostgreSQL, MariaDB/MySQL and SQLite (docs/db.md).

Why a package of its own: the database code needs drivers and servers the file readers never touch,
and keeping it apart keeps ``engine.io.readers`` importable without SQLAlchemy's drivers.
"""
