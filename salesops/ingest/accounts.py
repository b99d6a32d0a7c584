"""Accounts: a Salesforce Account or HubSpot companies export (or any CSV) shaped into the accounts
table, and a deals file's account and deal type columns checked against the store.

* :func:`account_rows` — ids (or ids derived from the name, ``name:<name key>``), name keys, parents
  resolved by id or name, and the checks: a name-only file naming one company twice, an unknown
  parent, a parent cycle;
* :func:`link_accounts` — a deal's ``account`` text -> ``account_id`` (a stored id, or a stored
  account's unique name key); a name two stored accounts carry is a problem naming their ids. A
  name no account carries stays unlinked and the customer figures count it by name
  (docs/CUSTOMERS.md); once any account is stored, that is an ``unknown_account`` warning
  (an error with ``strict``);
* :func:`deal_types` — the deal type spellings -> the stored deal types; an unknown value is a
  problem naming it and the accepted ones.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from salesops import store
from salesops.ingest.report import ProblemLog
from salesops.ingest.spec import normalise
from salesops.store import schema
from salesops.store.sql import DEAL_TYPE_SPELLINGS, DEAL_TYPES, name_key

ACCOUNT_COLUMNS = ["account_id", "name", "name_key", "industry", "size", "region", "owner", "parent_id"]


def _keys(values: pd.Series) -> pd.Series:
    return values.astype("object").map(name_key, na_action="ignore").astype("object")


def _derived_ids(keys: pd.Series) -> pd.Series:
    """``name:<name key>`` (None where there is no name)."""
    return keys.map(lambda k: None if k is None or k != k else f"name:{k}")


def _stored(engine) -> pd.DataFrame:
    a = schema.accounts
    return store.read_frame(engine, sa.select(a.c.account_id, a.c.name, a.c.name_key, a.c.parent_id))


#: Up to this many account ids and name keys in a file (or a chunk of one), only the stored accounts
#: with those ids or keys are read (bound values); beyond it, every stored account is.
NAMED_LIMIT = 5_000


def _stored_named(engine, ids: list, keys: list) -> pd.DataFrame:
    """The stored accounts whose id is one of ``ids`` or whose name key is one of ``keys``: all a
    deals file's account links depend on (at 3.5M stored accounts, reading them all took minutes
    for a 100-row file). Beyond :data:`NAMED_LIMIT` values, every stored account (same links)."""
    if len(ids) + len(keys) > NAMED_LIMIT:
        return _stored(engine)
    a = schema.accounts
    query = sa.select(a.c.account_id, a.c.name, a.c.name_key, a.c.parent_id).where(
        sa.or_(a.c.account_id.in_(ids), a.c.name_key.in_(keys))
    )
    return store.read_frame(engine, query)


def _stored_chains(engine, starts: list) -> pd.DataFrame:
    """The stored accounts on the chains of parents up from ``starts`` (the file's parent ids): all
    the file's cycle check reads of the store (a chain that runs into the file goes on from that
    account's own parent in the file, itself a start). At 3.5M stored accounts, reading them all took
    ~1 GB. Beyond :data:`NAMED_LIMIT` starts, every stored account (the same chains)."""
    if len(starts) > NAMED_LIMIT:
        return _stored(engine)
    if not starts:
        return pd.DataFrame({"account_id": [], "parent_id": []})
    chains = sa.text(
        """WITH RECURSIVE up(account_id, parent_id, depth) AS (
               SELECT account_id, parent_id, 0 FROM accounts WHERE account_id IN :starts
               UNION ALL
               SELECT a.account_id, a.parent_id, up.depth + 1 FROM accounts a JOIN up ON a.account_id = up.parent_id
               WHERE up.depth < 1000
           ) SELECT DISTINCT account_id, parent_id FROM up"""
    ).bindparams(sa.bindparam("starts", expanding=True))
    with engine.connect() as conn:
        rows = conn.execute(chains, {"starts": starts}).all()
    return pd.DataFrame(rows, columns=["account_id", "parent_id"])


def _any_account(engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(sa.select(schema.accounts.c.account_id).limit(1)).first() is not None


def account_rows(engine, c: pd.DataFrame, src: dict, problems: ProblemLog) -> pd.DataFrame:
    """The accounts table's rows of a file (see the module docstring for the checks)."""
    out = pd.DataFrame(index=c.index)
    names = c.get("name", pd.Series(pd.NA, index=c.index, dtype="str"))
    out["name_key"] = _keys(names)
    if "account_id" in c:
        out["account_id"] = (
            c["account_id"].astype("object").where(c["account_id"].notna(), _derived_ids(out["name_key"]))
        )
    else:
        out["account_id"] = _derived_ids(out["name_key"])
        dup = out["name_key"].notna() & out["name_key"].duplicated(keep=False)
        rows = pd.Series(problems.rows, index=c.index).astype(str)
        on_rows = rows.groupby(out["name_key"]).transform(", ".join)
        problems.cells(
            "duplicate_account_name",
            dup,
            src.get("name", "name"),
            names,
            "the file names this company on rows " + on_rows + " and has no account id column to tell them "
            "apart; add the CRM's account id (Salesforce Id, HubSpot Record ID)",
        )
    out["name"] = names
    for col in ("industry", "size", "region", "owner"):
        out[col] = c[col].astype("object").where(c[col].notna(), None) if col in c else None
    out["parent_id"] = _parents(engine, c, src, out, problems)
    _check_cycles(engine, c, src, out, problems)
    return out[ACCOUNT_COLUMNS]


def _parents(engine, c, src, out, problems) -> pd.Series:
    """parent_id, or the parent named by ``parent`` (an id or a unique name, in the file or the store)."""
    parent = c["parent_id"] if "parent_id" in c else pd.Series(pd.NA, index=c.index, dtype="object")
    if "parent" not in c:
        return parent.astype("object").where(parent.notna(), None)
    stored = _stored(engine)
    ids = set(stored["account_id"]) | set(out["account_id"].dropna())
    both = pd.concat([stored[["account_id", "name_key"]], out[["account_id", "name_key"]]]).drop_duplicates()
    counts = both["name_key"].value_counts()
    by_name = dict(zip(both["name_key"], both["account_id"]))
    named = c["parent"]
    key = _keys(named)
    resolved = named.where(named.isin(ids), key.map(lambda k: by_name.get(k) if counts.get(k, 0) == 1 else None))
    problems.cells(
        "unknown_parent",
        parent.isna() & named.notna() & resolved.isna(),
        src["parent"],
        named,
        "no account (or more than one) has this id or name; import the parent too, or give parent_id",
    )
    merged = parent.fillna(resolved)
    return merged.astype("object").where(merged.notna(), None)


def _check_cycles(engine, c, src, out, problems) -> None:
    """Rows whose parent chain comes back to them (the file's parents over the store's)."""
    stored = _stored_chains(engine, list(out["parent_id"].dropna().unique()))
    parent_of = dict(zip(stored["account_id"], stored["parent_id"]))
    parent_of.update(zip(out["account_id"], out["parent_id"]))
    in_cycle: dict[str, str] = {}
    for start in out["account_id"].dropna().unique():
        chain, node = [start], parent_of.get(start)
        while node is not None and node == node and node not in chain and len(chain) < 1000:
            chain.append(node)
            node = parent_of.get(node)
        if node == start:
            in_cycle[start] = " → ".join([*chain, start])
    mask = out["account_id"].isin(list(in_cycle))
    problems.cells(
        "parent_cycle",
        mask,
        src.get("parent_id") or src.get("parent") or "parent_id",
        out["account_id"],
        "parent accounts go round in a circle: " + out["account_id"].map(lambda a: in_cycle.get(a, "")),
    )


def link_accounts(engine, c: pd.DataFrame, src: dict, problems: ProblemLog) -> pd.Series:
    """Each deal's account_id: its ``account`` text as a stored id, else a stored unique name key."""
    none = pd.Series(None, index=c.index, dtype="object")
    if "account" not in c:
        return none
    given = c["account"]
    key = _keys(given)
    stored = _stored_named(engine, given.dropna().unique().tolist(), key.dropna().unique().tolist())
    counts = stored["name_key"].value_counts()
    ambiguous = key.map(counts).fillna(0) > 1
    ids_of = stored.groupby("name_key")["account_id"].agg(lambda s: ", ".join(sorted(s)))
    by_id = given.where(given.isin(set(stored["account_id"])))
    problems.cells(
        "ambiguous_account",
        by_id.isna() & ambiguous,
        src["account"],
        given,
        "more than one account has this name (ids " + key.map(lambda k: ids_of.get(k, "")) + "); give the account id",
    )
    by_name = key.map(dict(zip(stored["name_key"], stored["account_id"]))).where(~ambiguous)
    linked = by_id.astype("object").where(by_id.notna(), by_name.astype("object"))
    if len(stored) or _any_account(engine):
        # Once accounts are imported, a deal naming one that is not there is worth a look.
        problems.cells(
            "unknown_account",
            given.notna() & linked.isna() & ~ambiguous,
            src["account"],
            given,
            "no stored account has this id or name: the deal counts for a customer of that name; "
            "add it to the accounts file (--strict refuses such deals)",
        )
    return linked.astype("object").where(linked.notna(), None)


def deal_types(c: pd.DataFrame, src: dict, problems: ProblemLog) -> pd.Series:
    """The stored deal type of each row (None when empty); an unknown spelling is a problem."""
    if "deal_type" not in c:
        return pd.Series(None, index=c.index, dtype="object")
    given = c["deal_type"]
    mapped = given.map(normalise, na_action="ignore").map(DEAL_TYPE_SPELLINGS)
    problems.cells(
        "bad_value",
        given.notna() & mapped.isna(),
        src["deal_type"],
        given,
        f"unknown deal type; use one of: {', '.join(DEAL_TYPES)} (or a CRM spelling of one, see docs/IMPORT.md)",
    )
    return mapped.astype("object").where(mapped.notna(), None)
