"""The customer figures computed in the database: what the page and the CLI call.

Each function returns the same frame as its pure-pandas reference over :func:`load_won` (in
``retention``, ``cohorts`` and ``risk``, which define the figures and are tested by hand); a test
checks that both agree. Here the work happens in SQL and only small aggregates come back.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops.customers.definitions import ACTIVE_MONTHS
from salesops.customers.queries import _GROUP, check_by, load_groups
from salesops.scope import Scope, period_label
from salesops.store.engine import fetch_frame
from salesops.store.sql import WON_KINDS_READ, business_sql, deal_kind_sql, scope_filter

_YEAR = f"INTERVAL '{ACTIVE_MONTHS} months'"


def _base(scope: Scope, by: str) -> tuple[str, dict]:
    """WON_KINDS_READ plus ``w`` (the scope's won deals up to :asof, with their group and business)
    and ``ev`` (one row per group, customer and purchase day: first, returning, lapse, next)."""
    where, params = scope_filter(scope, "k")
    sql = f"""{WON_KINDS_READ},
    w AS (
        SELECT {_GROUP[check_by(by)].replace("w.", "k.")} AS grp, k.customer_id, k.close_date, k.amount_cents,
               {business_sql("k.kind")} AS business
        FROM won_kinds k LEFT JOIN teams t ON t.team_id = k.team_id
        WHERE k.close_date <= :asof {where}
    ),
    d AS (SELECT DISTINCT grp, customer_id, close_date AS day FROM w WHERE customer_id IS NOT NULL),
    e AS (
        SELECT grp, customer_id, day,
               LAG(day) OVER (PARTITION BY grp, customer_id ORDER BY day) AS prev,
               LEAD(day) OVER (PARTITION BY grp, customer_id ORDER BY day) AS nxt
        FROM d
    ),
    ev AS (
        SELECT grp, customer_id, day, nxt,
               CASE WHEN prev IS NULL THEN 1 ELSE 0 END AS is_first,
               CASE WHEN prev IS NOT NULL AND day > CAST(prev + {_YEAR} AS DATE) THEN 1 ELSE 0 END AS is_back,
               CAST(day + {_YEAR} AS DATE) AS lapse
        FROM e
    )"""  # noqa: S608 - our fragments; values bound
    return sql, params


def _periods(periods: list[tuple[date, date]], as_of: date) -> tuple[str, dict]:
    rows = ", ".join(f"(CAST(:ps{i} AS DATE), CAST(:pe{i} AS DATE))" for i in range(len(periods)))
    params = {}
    for i, (start, end) in enumerate(periods):
        params[f"ps{i}"], params[f"pe{i}"] = start, min(end, as_of)
    return f"p(ps, pe) AS (VALUES {rows})", params


def period_flows_sql(engine: Engine, scope: Scope, by: str, as_of: date) -> pd.DataFrame:
    """:func:`salesops.customers.retention.period_flows` of the scope's periods, in SQL."""
    from salesops.customers.retention import PERIOD_COLUMNS

    periods = scope.periods()
    base, params = _base(scope, by)
    p_sql, p_params = _periods(periods, as_of)
    sql = f"""{base}, {p_sql},
    rev AS (
        SELECT w.grp, p.ps, SUM(w.amount_cents) AS won_cents,
               SUM(CASE WHEN w.business = 'existing' THEN w.amount_cents ELSE 0 END) AS existing_cents
        FROM w JOIN p ON w.close_date BETWEEN p.ps AND p.pe GROUP BY 1, 2
    ),
    gained AS (
        SELECT ev.grp, p.ps, SUM(ev.is_first) AS n_new, SUM(ev.is_back) AS n_back
        FROM ev JOIN p ON ev.day BETWEEN p.ps AND p.pe GROUP BY 1, 2
    ),
    lost AS (
        SELECT ev.grp, p.ps, COUNT(*) AS n_lost
        FROM ev JOIN p ON ev.lapse BETWEEN p.ps AND p.pe
        WHERE ev.nxt IS NULL OR ev.nxt > ev.lapse GROUP BY 1, 2
    ),
    active AS (
        SELECT ev.grp, p.ps, COUNT(*) AS n_active
        FROM ev JOIN p ON ev.day <= p.pe AND p.pe < LEAST(COALESCE(ev.nxt, ev.lapse), ev.lapse) GROUP BY 1, 2
    )
    SELECT 'rev' AS part, grp, ps, won_cents AS a, existing_cents AS b FROM rev
    UNION ALL SELECT 'gained', grp, ps, n_new, n_back FROM gained
    UNION ALL SELECT 'lost', grp, ps, n_lost, 0 FROM lost
    UNION ALL SELECT 'active', grp, ps, n_active, 0 FROM active
    """  # noqa: S608 - our fragments; values bound
    got = fetch_frame(engine, sa.text(sql), {"asof": as_of, **params, **p_params})
    groups = load_groups(engine, scope, by)
    index = pd.MultiIndex.from_product([groups, [s for s, _ in periods]], names=["group", "period_start"])
    out = pd.DataFrame(index=index)
    if len(got):
        got["ps"] = pd.to_datetime(got["ps"]).dt.date
        wide = got.pivot_table(index=["grp", "ps"], columns="part", values=["a", "b"], aggfunc="sum")
        wide.index.names = ["group", "period_start"]
        for col, (part, val) in {
            "won_cents": ("rev", "a"),
            "existing_cents": ("rev", "b"),
            "new": ("gained", "a"),
            "returning": ("gained", "b"),
            "lost": ("lost", "a"),
            "active": ("active", "a"),
        }.items():
            if (val, part) in wide.columns:
                out[col] = wide[(val, part)].reindex(index)
    for col in ("won_cents", "existing_cents", "new", "returning", "lost", "active"):
        out[col] = out[col].fillna(0).astype("int64") if col in out else 0
    out = out.reset_index()
    out["new_cents"] = out["won_cents"] - out["existing_cents"]
    out["existing_share"] = np.where(
        out["won_cents"] > 0, out["existing_cents"] / out["won_cents"].where(out["won_cents"] > 0, 1), np.nan
    )
    ends = dict(periods)
    out["partial"] = [ends[s] > as_of for s in out["period_start"]]
    out["period"] = [period_label(s, scope.grain) for s in out["period_start"]]
    return out[PERIOD_COLUMNS]


def revenue_retention_sql(engine: Engine, scope: Scope, as_of: date) -> pd.DataFrame:
    """:func:`salesops.customers.cohorts.revenue_retention` of the scope (company), in SQL."""
    from salesops.customers.cohorts import RETENTION_COLUMNS

    base, params = _base(scope, "company")
    sql = f"""{base},
    c AS (
        SELECT customer_id, CAST(EXTRACT(YEAR FROM MIN(close_date)) AS INTEGER) AS cohort
        FROM w WHERE customer_id IS NOT NULL GROUP BY 1
    ),
    per AS (
        SELECT w.customer_id, c.cohort, CAST(EXTRACT(YEAR FROM w.close_date) AS INTEGER) - c.cohort + 1 AS yr,
               SUM(w.amount_cents) AS cents
        FROM w JOIN c ON c.customer_id = w.customer_id GROUP BY 1, 2, 3
    ),
    b AS (
        SELECT c.customer_id, c.cohort, COALESCE(per.cents, 0) AS base
        FROM c LEFT JOIN per ON per.customer_id = c.customer_id AND per.yr = 1
    ),
    coh AS (SELECT cohort, COUNT(*) AS customers, SUM(base) AS base_cents FROM b GROUP BY 1),
    yk AS (
        SELECT b.cohort, per.yr, SUM(per.cents) AS revenue_cents, SUM(LEAST(per.cents, b.base)) AS kept_cents
        FROM per JOIN b ON b.customer_id = per.customer_id WHERE per.yr >= 2 GROUP BY 1, 2
    )
    SELECT coh.*, yk.yr, yk.revenue_cents, yk.kept_cents FROM coh LEFT JOIN yk ON yk.cohort = coh.cohort
    """  # noqa: S608 - our fragments; values bound
    got = fetch_frame(engine, sa.text(sql), {"asof": as_of, **params})
    rows = []
    for cohort, block in got.groupby("cohort", sort=True):
        head = block.iloc[0]
        by_year = block.dropna(subset=["yr"]).astype({"yr": int}).set_index("yr")
        base_total = int(head["base_cents"])
        for year in range(2, as_of.year - int(cohort) + 2):
            rev = int(by_year["revenue_cents"].get(year, 0))
            kept = int(by_year["kept_cents"].get(year, 0))
            rows.append(
                (
                    int(cohort), int(head["customers"]), year, base_total, rev, kept,
                    rev / base_total if base_total else np.nan, kept / base_total if base_total else np.nan,
                    as_of >= date(int(cohort) + year - 1, 12, 31),
                )
            )  # fmt: skip
    return pd.DataFrame(rows, columns=RETENTION_COLUMNS)


def cohort_grid_sql(engine: Engine, scope: Scope, as_of: date) -> pd.DataFrame:
    """:func:`salesops.customers.cohorts.cohort_grid` of the scope (company), in SQL."""
    from salesops.customers.cohorts import GRID_COLUMNS

    base, params = _base(scope, "company")
    first_sql = f"{base} SELECT MIN(day) AS f FROM ev"  # noqa: S608 - our fragments; values bound
    first = fetch_frame(engine, sa.text(first_sql), {"asof": as_of, **params})
    if not len(first) or pd.isna(first["f"].iloc[0]):
        return pd.DataFrame(columns=GRID_COLUMNS)
    quarters = pd.period_range(pd.Timestamp(first["f"].iloc[0]).to_period("Q"), pd.Timestamp(as_of).to_period("Q"))
    ends = [(q.start_time.date(), min(q.end_time.date(), as_of)) for q in quarters]
    p_sql, p_params = _periods(ends, as_of)
    sql = f"""{base}, {p_sql},
    c AS (SELECT customer_id, CAST(date_trunc('quarter', MIN(day)) AS DATE) AS cq FROM ev GROUP BY 1),
    sizes AS (SELECT cq, COUNT(*) AS customers FROM c GROUP BY 1),
    act AS (
        SELECT c.cq, p.ps, COUNT(*) AS n
        FROM ev JOIN c ON c.customer_id = ev.customer_id
        JOIN p ON ev.day <= p.pe AND p.pe < LEAST(COALESCE(ev.nxt, ev.lapse), ev.lapse)
        GROUP BY 1, 2
    )
    SELECT s.cq, p.ps, s.customers, COALESCE(act.n, 0) AS active
    FROM sizes s JOIN p ON p.ps >= s.cq LEFT JOIN act ON act.cq = s.cq AND act.ps = p.ps
    """  # noqa: S608 - our fragments; values bound
    got = fetch_frame(engine, sa.text(sql), {"asof": as_of, **params, **p_params})
    cq = pd.to_datetime(got["cq"]).dt.to_period("Q")
    q = pd.to_datetime(got["ps"]).dt.to_period("Q")
    out = pd.DataFrame(
        {
            "cohort": [period_label(p.start_time.date(), "quarter") for p in cq],
            "quarter": [period_label(p.start_time.date(), "quarter") for p in q],
            "quarters_after": [(b - a).n for a, b in zip(cq, q)],
            "customers": got["customers"].astype(int),
            "active": got["active"].astype(int),
        }
    )
    out["share"] = out["active"] / out["customers"]
    return out.sort_values(["cohort", "quarters_after"]).reset_index(drop=True)[GRID_COLUMNS]


def concentration_sql(engine: Engine, scope: Scope, as_of: date, n: int = 10):
    """:func:`salesops.customers.risk.concentration` over [scope.start, as_of], in SQL; also returns
    the won revenue of deals with no account in that range (a second value)."""
    from salesops.customers.risk import Concentration

    base, params = _base(scope, "company")
    sql = f"""{base},
    r AS (SELECT customer_id, SUM(amount_cents) AS won_cents FROM w WHERE close_date >= :lo GROUP BY 1)
    SELECT r.customer_id, COALESCE(a.name, (SELECT MIN(k.account_name) FROM won_kinds k
                                            WHERE k.customer_id = r.customer_id)) AS customer,
           r.won_cents, SUM(r.won_cents) OVER () AS total, COUNT(r.customer_id) OVER () AS customers,
           SUM(CASE WHEN r.customer_id IS NULL THEN r.won_cents ELSE 0 END) OVER () AS no_account
    FROM r LEFT JOIN accounts a ON a.account_id = r.customer_id
    ORDER BY r.customer_id IS NULL, r.won_cents DESC, r.customer_id
    LIMIT :n
    """  # noqa: S608 - our fragments; values bound
    got = fetch_frame(engine, sa.text(sql), {"asof": as_of, "lo": scope.start, "n": n + 1, **params})
    if not len(got):
        return Concentration(None, 0, 0, 0, pd.DataFrame(columns=["customer_id", "customer", "won_cents"])), 0
    total, customers = int(got["total"].iloc[0]), int(got["customers"].iloc[0])
    no_account = int(got["no_account"].iloc[0])
    top = got[got["customer_id"].notna()].head(n)[["customer_id", "customer", "won_cents"]].reset_index(drop=True)
    top["won_cents"] = top["won_cents"].astype("int64")
    top_cents = int(top["won_cents"].sum())
    return Concentration(top_cents / total if total else None, top_cents, total, customers, top), no_account


def accounts_at_risk_sql(engine: Engine, scope: Scope, as_of: date) -> pd.DataFrame:
    """:func:`salesops.customers.risk.accounts_at_risk` of the scope at ``as_of``, in SQL."""
    from salesops.customers import risk

    base, params = _base(scope, "company")
    where, rparams = scope_filter(scope, "o")
    sql = f"""{base},
    g AS (
        SELECT customer_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS cycle
        FROM (SELECT customer_id, day - LAG(day) OVER (PARTITION BY customer_id ORDER BY day) AS gap FROM ev) x
        WHERE gap IS NOT NULL GROUP BY 1
    ),
    s AS (
        SELECT customer_id,
               SUM(CASE WHEN close_date > :year_ago THEN amount_cents ELSE 0 END) AS last_12m_cents,
               SUM(CASE WHEN close_date > :two_ago AND close_date <= :year_ago THEN amount_cents ELSE 0 END)
                   AS prior_12m_cents,
               MAX(close_date) AS last_purchase
        FROM w WHERE customer_id IS NOT NULL GROUP BY 1
    ),
    ren AS (
        SELECT o.deal_id, o.customer_id, o.amount_cents, o.close_date, o.created_date
        FROM deal_customers o
        WHERE o.outcome = 'open' AND o.customer_id IS NOT NULL AND {deal_kind_sql("o.deal_type")} = 'renewal'
          {where}
    ),
    hist AS (
        SELECT h.deal_id, MAX(h.entered_at) AS last_change
        FROM deal_stage_history h JOIN ren ON ren.deal_id = h.deal_id GROUP BY h.deal_id
    ),
    st AS (
        SELECT ren.customer_id, COUNT(*) AS stale_renewals, SUM(COALESCE(ren.amount_cents, 0)) AS stale_renewal_cents
        FROM ren LEFT JOIN hist ON hist.deal_id = ren.deal_id
        WHERE ren.close_date < :asof OR COALESCE(hist.last_change, ren.created_date) < :stale_before
        GROUP BY 1
    )
    SELECT s.customer_id,
           COALESCE(a.name, (SELECT MIN(k.account_name) FROM won_kinds k WHERE k.customer_id = s.customer_id))
               AS customer,
           s.last_12m_cents, s.prior_12m_cents, s.last_purchase, g.cycle AS usual_cycle_days,
           COALESCE(st.stale_renewals, 0) AS stale_renewals, COALESCE(st.stale_renewal_cents, 0) AS stale_renewal_cents
    FROM s LEFT JOIN g ON g.customer_id = s.customer_id LEFT JOIN st ON st.customer_id = s.customer_id
    LEFT JOIN accounts a ON a.account_id = s.customer_id
    WHERE s.last_purchase > :two_ago
      AND ((s.prior_12m_cents > 0 AND s.last_12m_cents <= (1 - :fall) * s.prior_12m_cents)
           OR (g.cycle IS NOT NULL AND CAST(:asof AS DATE) - s.last_purchase > g.cycle + :grace)
           OR st.stale_renewals > 0)
    """  # noqa: S608 - our fragments; values bound
    t = pd.Timestamp(as_of)
    binds = {
        "asof": as_of,
        "year_ago": (t - pd.DateOffset(months=12)).date(),
        "two_ago": (t - pd.DateOffset(months=24)).date(),
        "stale_before": (t - pd.Timedelta(days=risk.STALE_DAYS)).date(),
        "fall": risk.FALL_SHARE,
        "grace": risk.GRACE_DAYS,
        **params,
        **rparams,
    }
    got = fetch_frame(engine, sa.text(sql), binds)
    return risk.finish_risk(got, t)


def accounts_behind_sql(engine: Engine, scope: Scope, start: date, end: date, as_of: date, figure: str) -> pd.DataFrame:
    """:func:`salesops.customers.retention.accounts_behind` (company), in SQL."""
    from salesops.customers.retention import BEHIND_COLUMNS, FIGURES

    if figure not in FIGURES:
        raise ValueError(f"unknown figure {figure!r}")
    hi = min(end, as_of)
    base, params = _base(scope, "company")
    # Fixed SQL per figure (no user text): which customers the number counts, and which of their
    # deals in the period are shown as "won in the period".
    picks = {
        "active": "ev.day <= :hi AND :hi < LEAST(COALESCE(ev.nxt, ev.lapse), ev.lapse)",
        "new": "ev.day BETWEEN :lo AND :hi AND ev.is_first = 1",
        "returning": "ev.day BETWEEN :lo AND :hi AND ev.is_back = 1",
        "lost": "ev.lapse BETWEEN :lo AND :hi AND (ev.nxt IS NULL OR ev.nxt > ev.lapse)",
    }
    kind = {"new_cents": "AND w.business = 'new'", "existing_cents": "AND w.business = 'existing'"}.get(figure, "")
    ids = (
        f"SELECT DISTINCT customer_id FROM ev WHERE {picks[figure]}"  # noqa: S608 - fixed SQL per figure
        if figure in picks
        else "SELECT DISTINCT customer_id FROM w WHERE customer_id IS NOT NULL AND close_date BETWEEN :lo AND :hi "  # noqa: S608 - fixed SQL
        + kind
    )
    sql = f"""{base}, ids AS ({ids})
    SELECT w.customer_id,
           COALESCE(a.name, (SELECT MIN(k.account_name) FROM won_kinds k WHERE k.customer_id = w.customer_id))
               AS customer,
           SUM(CASE WHEN w.close_date BETWEEN :lo AND :hi {kind} THEN w.amount_cents ELSE 0 END) AS won_cents,
           SUM(CASE WHEN w.close_date BETWEEN :lo AND :hi {kind} THEN 1 ELSE 0 END) AS deals,
           MIN(w.close_date) AS first_purchase, MAX(w.close_date) AS last_purchase
    FROM w JOIN ids ON ids.customer_id = w.customer_id LEFT JOIN accounts a ON a.account_id = w.customer_id
    WHERE w.close_date <= :hi
    GROUP BY w.customer_id, a.name
    ORDER BY won_cents DESC, w.customer_id
    """  # noqa: S608 - our fragments and fixed SQL per figure; values bound
    got = fetch_frame(engine, sa.text(sql), {"asof": as_of, "lo": start, "hi": hi, **params})
    if not len(got):
        return pd.DataFrame(columns=BEHIND_COLUMNS)
    got = got.astype({"won_cents": "int64", "deals": int})
    for col in ("first_purchase", "last_purchase"):
        got[col] = pd.to_datetime(got[col]).dt.date
    return got[BEHIND_COLUMNS].reset_index(drop=True)
