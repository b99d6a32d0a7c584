"""Temporary staging tables: a twin of a store table that collects rows before they are published."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def create_stage(
    conn: Connection, table: sa.Table, extra: tuple[sa.Column, ...] = (), loose: bool = False, name: str = "_import_"
) -> sa.Table:
    """A temporary staging table with ``table``'s columns (plus ``extra``), created in ``conn``.

    ``loose``: integers are BIGINT whatever the target says (a chunked import stages every row,
    bad ones too, before it knows whether the file is accepted).
    """

    def kind(col: sa.Column):
        return sa.BigInteger() if loose and isinstance(col.type, sa.Integer) else col.type

    stage = sa.Table(
        f"{name}{table.name}",
        sa.MetaData(),
        *[sa.Column(col.name, kind(col)) for col in table.columns],
        *extra,
        prefixes=["TEMPORARY"],
    )
    stage.create(conn)
    return stage
