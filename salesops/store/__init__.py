"""The shared store layer every job sits on: the engine, the schema, the frame reader, shared SQL.

- :mod:`salesops.store.engine` — one SQLAlchemy engine from one URL, writes, the data version.
- :mod:`salesops.store.schema` — the tables as SQLAlchemy Core metadata.
- :mod:`salesops.store.sql` — shared SQL fragments: scope filter, quota in a window, period steps.
"""

from salesops.store.engine import (
    arrow_result_frame,
    bulk_insert,
    data_version,
    explain_error,
    fetch_frame,
    last_updated,
    make_engine,
    migrate_store,
    open_store,
    read_frame,
    result_frame,
    table_counts,
    write,
)

__all__ = [
    "arrow_result_frame",
    "bulk_insert",
    "data_version",
    "explain_error",
    "fetch_frame",
    "last_updated",
    "make_engine",
    "migrate_store",
    "open_store",
    "read_frame",
    "result_frame",
    "table_counts",
    "write",
]
