"""The statements a session sends to a PostgreSQL server: docs/FORMAT-POSTGRES.md's ```sql
blocks, word for word under the same names (tests/test_postgres_sql.py compares them with the
page). ``$n`` is written ``%(pn)s`` for psycopg2, which binds each value itself: no statement
is ever built from a key, a store name or a setting."""

from __future__ import annotations

import re
from typing import Any, Dict

# Layout 1 (docs/FORMAT-POSTGRES.md "Versions").
LAYOUT_VERSION = 1

DOC = {
    "layout_exists": """SELECT EXISTS (SELECT FROM pg_catalog.pg_tables
               WHERE schemaname = 'picklejar' AND tablename = 'layout')
""",
    "read_layout": """SELECT version, min_reader_version FROM picklejar.layout
""",
    "begin_write": """BEGIN ISOLATION LEVEL READ COMMITTED
""",
    "layout_lock": """SELECT pg_advisory_xact_lock(1347043666, 0)
""",
    "connection_settings": """SELECT set_config('idle_in_transaction_session_timeout', $1, false)
""",
    "create_store": """INSERT INTO picklejar.store (name, file_id, format_version, min_reader_version,
  app_schema_version, default_protocol, revision, purged_revision, created_us, modified_us,
  created_by, writer_name, writer_version, writer_app, integrity_scheme, key_id)
VALUES ($1, $2, 2, 2, $3, $4, 0, 0, $5, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (name) DO NOTHING
RETURNING store_id
""",
    "read_store": """SELECT store_id, file_id, format_version, min_reader_version, app_schema_version,
  default_protocol, revision, purged_revision, created_us, modified_us, created_by,
  writer_name, writer_version, writer_app, integrity_scheme, key_id
FROM picklejar.store WHERE name = $1
""",
    "begin_read": """BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY
""",
    "entries_since": """SELECT key, pickle, protocol, digest, revision, modified_us
FROM picklejar.entry WHERE store_id = $1 AND revision > $2
""",
    "tombstones_since": """SELECT key, revision FROM picklejar.tombstone WHERE store_id = $1 AND revision > $2
""",
    "all_keys": """SELECT key FROM picklejar.entry WHERE store_id = $1
""",
    "store_sizes": """SELECT count(*), coalesce(sum(octet_length(pickle)), 0) FROM picklejar.entry
WHERE store_id = $1
""",
    "list_stores": """SELECT name, format_version, revision, modified_us, integrity_scheme
FROM picklejar.store ORDER BY convert_to(name, 'UTF8')
""",
    "delete_store": """DELETE FROM picklejar.store WHERE name = $1 RETURNING store_id
""",
    "store_revision": """SELECT revision FROM picklejar.store WHERE store_id = $1
""",
    "write_settings": """SELECT set_config('lock_timeout', $1, true), set_config('synchronous_commit', $2, true)
""",
    "lock_store": """SELECT store_id, file_id, format_version, min_reader_version, app_schema_version,
  default_protocol, revision, purged_revision, created_us, modified_us, created_by,
  writer_name, writer_version, writer_app, integrity_scheme, key_id
FROM picklejar.store WHERE name = $1 FOR UPDATE
""",
    "put_entries": """INSERT INTO picklejar.entry (store_id, key, pickle, protocol, digest, revision, modified_us)
SELECT $1::bigint, key, pickle, protocol, digest, $6::bigint, $7::bigint
FROM unnest($2::bytea[], $3::bytea[], $4::smallint[], $5::bytea[])
  AS t (key, pickle, protocol, digest)
ON CONFLICT (store_id, key) DO UPDATE SET pickle = EXCLUDED.pickle,
  protocol = EXCLUDED.protocol, digest = EXCLUDED.digest, revision = EXCLUDED.revision,
  modified_us = EXCLUDED.modified_us
""",
    "drop_tombstones": """DELETE FROM picklejar.tombstone WHERE store_id = $1 AND key = ANY ($2::bytea[])
""",
    "erase_entries": """WITH erased AS (
  DELETE FROM picklejar.entry WHERE store_id = $1 AND key = ANY ($2::bytea[]) RETURNING key
)
INSERT INTO picklejar.tombstone (store_id, key, revision)
SELECT $1, key, $3::bigint FROM erased
ON CONFLICT (store_id, key) DO UPDATE SET revision = EXCLUDED.revision
""",
    "purge_tombstones": """DELETE FROM picklejar.tombstone WHERE store_id = $1 AND revision <= $2
""",
    "update_store": """UPDATE picklejar.store SET revision = $2, purged_revision = $3, modified_us = $4,
  writer_name = $5, writer_version = $6, writer_app = $7, app_schema_version = $8,
  default_protocol = $9, integrity_scheme = $10, key_id = $11, format_version = $12,
  min_reader_version = $13
WHERE store_id = $1
""",
    "notify": """SELECT pg_notify('picklejar', $1)
""",
    "listen": """LISTEN picklejar
""",
}

# create_tables is long; it is the page's block as it is.
DOC["create_tables"] = """CREATE SCHEMA IF NOT EXISTS picklejar;
CREATE TABLE picklejar.layout (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  version integer NOT NULL CHECK (version >= 1),
  min_reader_version integer NOT NULL CHECK (min_reader_version >= 1)
);
INSERT INTO picklejar.layout (version, min_reader_version) VALUES (1, 1);
CREATE TABLE picklejar.store (
  store_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (octet_length(name) BETWEEN 1 AND 255),
  file_id bytea NOT NULL CHECK (octet_length(file_id) = 16),
  format_version integer NOT NULL CHECK (format_version >= 1),
  min_reader_version integer NOT NULL CHECK (min_reader_version >= 1),
  app_schema_version bigint NOT NULL CHECK (app_schema_version >= 0),
  default_protocol smallint NOT NULL CHECK (default_protocol BETWEEN 0 AND 5),
  revision bigint NOT NULL CHECK (revision BETWEEN 0 AND 9223372036854775806),
  purged_revision bigint NOT NULL CHECK (purged_revision BETWEEN 0 AND revision),
  created_us bigint NOT NULL,
  modified_us bigint NOT NULL,
  created_by text NOT NULL,
  writer_name text NOT NULL,
  writer_version text NOT NULL,
  writer_app text NOT NULL,
  integrity_scheme text NOT NULL,
  key_id text
);
CREATE TABLE picklejar.entry (
  store_id bigint NOT NULL REFERENCES picklejar.store ON DELETE CASCADE,
  key bytea NOT NULL CHECK (octet_length(key) <= 2048),
  pickle bytea NOT NULL,
  protocol smallint NOT NULL CHECK (protocol BETWEEN 0 AND 5),
  digest bytea NOT NULL CHECK (octet_length(digest) = 32),
  revision bigint NOT NULL CHECK (revision >= 1),
  modified_us bigint NOT NULL,
  PRIMARY KEY (store_id, key)
);
CREATE INDEX entry_revision ON picklejar.entry (store_id, revision);
CREATE TABLE picklejar.tombstone (
  store_id bigint NOT NULL REFERENCES picklejar.store ON DELETE CASCADE,
  key bytea NOT NULL CHECK (octet_length(key) <= 2048),
  revision bigint NOT NULL CHECK (revision >= 1),
  PRIMARY KEY (store_id, key)
);
CREATE INDEX tombstone_revision ON picklejar.tombstone (store_id, revision);
"""

_PARAM = re.compile(r"\$(\d+)")

# The statements as psycopg2 takes them: $n -> %(pn)s.
SQL: Dict[str, str] = {name: _PARAM.sub(lambda m: f"%(p{m.group(1)})s", text)
                       for name, text in DOC.items()}


def params(*values: Any) -> Dict[str, Any]:
    """$1, $2, ... bound to ``values`` in order."""
    return {f"p{i}": value for i, value in enumerate(values, 1)}
