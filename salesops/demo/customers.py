"""Demo customers: the deals of a batch of teams given accounts, deal types and parent companies.

Runs after the deals are drawn, on its own generator (seeded from the demo seed and the batch), so
every other table and every deal's dates, amounts and outcomes stay exactly as they were. Per team,
won deals in date order go to:

* a **renewal** of an account whose subscription (Core Platform, Premium Support) turns a year old
  within the next 35 days, when one is due and it did not churn — so renewals land on or before
  the anniversary, a yearly cycle;
* else, for an add-on product, an **expansion** of an active customer (sometimes a new subsidiary
  of it, in Enterprise);
* else a **new** account (a few go back to a lapsed customer: won back).

Each account churns at each renewal with its segment's rate (:data:`CHURN`); the planted retention
team (:data:`RETENTION_TEAM`) churns far more. Lost deals go to prospects or active customers; open
subscription deals closing within an account's renewal window are its open renewal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SUBSCRIPTIONS = ("Core Platform", "Premium Support")
#: Yearly churn at renewal per segment.
CHURN = {"Enterprise": 0.10, "Mid-Market": 0.22, "SMB": 0.38}
#: The planted retention problem: Berlin Mid-Market loses most customers at renewal.
RETENTION_TEAM, RETENTION_CHURN = "T08", 0.70
#: Renewal window: from this many days after the subscription purchase up to its anniversary.
RENEW_FROM, RENEW_TO = 330, 365
SIZE = {"Enterprise": "1,000+ employees", "Mid-Market": "200–999 employees", "SMB": "1–199 employees"}
INDUSTRIES = ("Manufacturing", "Retail", "Software", "Healthcare", "Financial services", "Logistics", "Energy", "Media")
_WORDS = (
    "Acme Apex Blue Bright Cedar Cobalt Crest Delta Ember Fable Granite Harbor Helix Indigo Juniper Keystone "
    "Lumen Maple Nimbus Northwind Oak Orbit Pine Quartz Raven Ridge Sable Summit Tidal Umber Vertex Willow "
    "Zenith Aurora Beacon Canyon Drift Echo Falcon Glacier"
).split()
_KINDS = ("Systems", "Labs", "Foods", "Logistics", "Health", "Energy", "Media", "Capital", "Works", "Retail")
_SUFFIX = {"North America East": "Inc.", "North America West": "Inc.", "EMEA": "GmbH", "APAC": "Pty Ltd"}


@dataclass
class _Account:
    account_id: str
    sub_last: int | None  # day number of the last subscription purchase (renewals due a year after)
    last: int | None  # day number of the last purchase of any kind (None: a prospect)
    churns: bool  # decided at each renewal: this account will not renew


class _Draws:
    """Uniform draws taken from the generator in blocks (a numpy call per draw is the slow part)."""

    def __init__(self, rng: np.random.Generator, n: int) -> None:
        self.rng, self.block, self.pos = rng, rng.random(n).tolist(), 0

    def random(self) -> float:
        if self.pos == len(self.block):
            self.block, self.pos = self.rng.random(len(self.block) or 1024).tolist(), 0
        self.pos += 1
        return self.block[self.pos - 1]

    def integers(self, k: int) -> int:
        return min(int(self.random() * k), k - 1)


@dataclass
class _Team:
    rng: _Draws
    churn: float
    accounts: dict[str, _Account] = field(default_factory=dict)
    customers: list[str] = field(default_factory=list)  # accounts that bought, to sample from
    prospects: list[str] = field(default_factory=list)  # accounts that never bought
    # (window end, account_id) in the order of window end: purchases come in date order, so each
    # new end is the latest and appending keeps the list sorted.
    due: list = field(default_factory=list)


class CustomerBook:
    """The account id counter across batches, and the accounts created since the last :meth:`take`.

    A batch's accounts are its own (each team's book starts afresh per batch), so the build takes
    them after each batch: the book never holds more than one batch (at large, every account kept
    until the end was 2 GB of Python objects).
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rows: list[dict] = []
        self.names: dict[str, str] = {}
        self.count = 0

    def assign(self, deals: pd.DataFrame, teams: pd.DataFrame, reps: pd.DataFrame, batch: int) -> pd.DataFrame:
        """``deals`` with account, account_id and deal_type set (a new frame; other columns untouched)."""
        out = deals.copy()
        out["account_id"] = None
        seg = teams.set_index("team_id")["segment"]
        region = teams.set_index("team_id")["region"]
        names = dict(zip(reps["rep_id"], reps["name"]))
        account_of: dict = {}
        type_of: dict = {}
        for team_id, idx in out.groupby("team_id", sort=True).groups.items():
            rng = np.random.default_rng([self.seed, 19, batch, int(str(team_id)[1:] or 0)])
            churn = RETENTION_CHURN if team_id == RETENTION_TEAM else CHURN[seg[team_id]]
            state = _Team(_Draws(rng, 12 * len(idx)), churn)
            team = self._team(out.loc[idx], state, seg[team_id], region[team_id], names)
            account_of.update(team[0])
            type_of.update(team[1])
        out["account_id"] = out.index.map(account_of)
        out["deal_type"] = out.index.map(type_of)
        ids = out["account_id"]
        out["account"] = ids.map(self.names)  # a batch's deals go to its own accounts
        return out

    def _new(self, state: _Team, segment: str, region: str, owner: str, day, parent: str | None = None) -> str:
        self.count += 1
        rng = state.rng
        word = _WORDS[rng.integers(len(_WORDS))]
        name = f"{word} {_KINDS[rng.integers(len(_KINDS))]} {_SUFFIX[region]}"
        if self.count > len(_WORDS) * len(_KINDS):
            name = f"{word} {_KINDS[rng.integers(len(_KINDS))]} {self.count} {_SUFFIX[region]}"
        if parent is not None:
            name = f"{self.names[parent].rsplit(' ', 1)[0]} {region.split()[-1]}"
        account_id = f"AC{self.count:07d}"
        self.names[account_id] = name
        self.rows.append(
            dict(
                account_id=account_id, name=name, name_key=" ".join(name.split()).lower(),
                industry=INDUSTRIES[rng.integers(len(INDUSTRIES))], size=SIZE[segment], region=region,
                owner=owner, parent_id=parent,
            )
        )  # fmt: skip
        state.accounts[account_id] = _Account(account_id, None, None, False)
        return account_id

    def _team(self, d, state: _Team, segment: str, region: str, names) -> tuple[dict, dict]:
        """(row -> account_id, row -> deal type) for one team's deals, walked in close-date order."""
        d = d.sort_values(["close_date", "deal_id"] if "deal_id" in d else ["close_date"])
        rng = state.rng
        days = pd.to_datetime(d["close_date"]).to_numpy().astype("datetime64[D]").astype(np.int64).tolist()
        account_of: dict = {}
        type_of: dict = {}
        rows = zip(d.index, d["outcome"].tolist(), d["product"].tolist(), d["rep_id"].tolist(), days)
        for i, outcome, product, rep_id, day in rows:
            owner = names.get(rep_id, "")
            if outcome == "lost":
                # A third were pitched to an active customer (a lost expansion); the rest to prospects,
                # most of them pitched before.
                acc = self._sample(state, day, recent=True) if rng.random() < 0.33 else None
                type_of[i] = "Expansion" if acc else "New Business"
                if acc is None and state.prospects and rng.random() < 0.6:
                    acc = state.prospects[rng.integers(len(state.prospects))]
                if acc is None:
                    acc = self._new(state, segment, region, owner, day)
                    state.prospects.append(acc)
                account_of[i] = acc
                continue
            sub = product in SUBSCRIPTIONS
            acc, kind = self._pick(state, day, sub)
            if acc is None:
                parent = None
                if kind == "Expansion" and segment == "Enterprise" and rng.random() < 0.3:
                    parent = self._sample(state, day, recent=True)
                acc = self._new(state, segment, region, owner, day, parent=parent)
                kind = "Expansion" if parent else "New Business"
            if outcome == "won":
                a = state.accounts[acc]
                if a.last is None:
                    state.customers.append(acc)
                a.last = day
                if sub:
                    a.sub_last, a.churns = day, bool(rng.random() < state.churn)
                    state.due.append((day + RENEW_TO, acc))
            account_of[i], type_of[i] = acc, kind
        return account_of, type_of

    def _pick(self, state: _Team, day, sub: bool) -> tuple[str | None, str]:
        """An account due for renewal (subscriptions), else maybe an active one to expand or a lapsed one.
        Returns (None, kind) when the deal needs a new account of that kind."""
        rng = state.rng
        if sub:
            due = state.due
            drop = 0
            while drop < len(due) and due[drop][0] < day:
                drop += 1  # missed its window: lost at the anniversary
            del due[:drop]
            for k, (end, acc) in enumerate(due):
                if end - (RENEW_TO - RENEW_FROM) > day:
                    break  # the rest are due later
                a = state.accounts[acc]
                if a.sub_last is None or a.sub_last + RENEW_TO != end or a.churns:
                    continue  # renewed since, or churning
                del due[k]
                return acc, "Renewal"
        elif rng.random() < (0.25 if state.churn >= RETENTION_CHURN else 0.6):
            acc = self._sample(state, day, recent=True)
            if acc is not None:
                return acc, "Expansion"
        if rng.random() < 0.04:
            acc = self._sample(state, day, recent=False)
            if acc is not None:
                return acc, "New Business"  # won back
        return None, "Expansion" if not sub and rng.random() < 0.5 else "New Business"

    @staticmethod
    def _sample(state: _Team, day, recent: bool) -> str | None:
        """A random customer who bought in the last year (``recent``) or not for 400+ days; a few tries."""
        for _ in range(6):
            if not state.customers:
                return None
            acc = state.customers[state.rng.integers(len(state.customers))]
            gap = day - (state.accounts[acc].last or 0)
            if (0 <= gap <= 365) if recent else gap > 400:
                return acc
        return None

    def take(self) -> pd.DataFrame:
        """The accounts created since the last call (rows of the accounts table, in id order), forgotten here."""
        rows = pd.DataFrame(self.rows)
        self.rows, self.names = [], {}
        return rows
