"""The store's tables as SQLAlchemy Core metadata.

Conventions: ids are strings (CRM ids are strings: Salesforce ``006…``, HubSpot record ids);
money is integer cents (``*_cents`` BIGINT); dates are DATE, instants TIMESTAMP.
``team_id`` on deals, leads and activities is the team at the time of the event, so a rep who
changes team keeps their history with the old team.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Sequence,
    String,
    Table,
    Text,
)

#: The schema_version recorded in ``meta`` (revision 0002 sets it). Before migrations salesops went
#: by this number (1; 2 once accounts came) and refuses a store with a higher one; this salesops goes
#: by the Alembic revision instead (salesops/store/migrate.py). Change the tables only together with
#: a new revision (README.md, "Changing the schema").
SCHEMA_VERSION = 3

metadata: MetaData = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", String, nullable=False),
)

#: Insert-only log of writes: max(version) is the data version caches key on.
change_version_seq = Sequence("change_version_seq")
changes = Table(
    "changes",
    metadata,
    Column("version", BigInteger, change_version_seq, primary_key=True, autoincrement=False),
    Column("changed_at", DateTime, nullable=False),
    Column("what", String, nullable=False),
)

teams = Table(
    "teams",
    metadata,
    Column("team_id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("region", String, nullable=False),
    Column("manager", String),
)

reps = Table(
    "reps",
    metadata,
    Column("rep_id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("team_id", String, nullable=False),
    Column("role", String, nullable=False),  # AE, SDR, …
    Column("hire_date", Date),
    Column("ramp_months", Integer, nullable=False, default=0),
    Column("active", Boolean, nullable=False, default=True),
    Column("fte", Double, nullable=False, default=1.0),  # capacity weight: 0.5 = part-time
    Column("email", String),
)

quotas = Table(
    "quotas",
    metadata,
    Column("rep_id", String, nullable=False),
    Column("period_type", String, nullable=False),  # week / month / quarter / year
    Column("period_start", Date, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),  # the ramped quota, as assigned
    Column("period_end", Date),  # 0016: the last day, sql.QUOTA_PERIOD_END (set by derived.refresh_derived)
    PrimaryKeyConstraint("rep_id", "period_type", "period_start"),
)

#: Funnel stages a lead can reach, in order.
LEAD_STAGES = ("lead", "mql", "sql", "opportunity", "won")

leads = Table(
    "leads",
    metadata,
    Column("lead_id", String, primary_key=True),
    Column("rep_id", String),
    Column("team_id", String),
    Column("source", String, nullable=False),
    Column("created_at", Date, nullable=False),
    Column("furthest_stage", String, nullable=False),  # one of LEAD_STAGES
)

#: Customer accounts (companies). ``name_key`` is the name case-folded with runs of spaces made one,
#: the key deals are linked by when they name an account instead of giving its id. ``parent_id``
#: points at the parent company: a subsidiary's purchases count for its top-level parent.
accounts = Table(
    "accounts",
    metadata,
    Column("account_id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("name_key", String, nullable=False),
    Column("industry", String),
    Column("size", String),  # employee band or segment, as the CRM says it
    Column("region", String),
    Column("owner", String),  # the account owner's name
    Column("parent_id", String),
)

#: Deal outcomes.
OUTCOMES = ("open", "won", "lost")

deals = Table(
    "deals",
    metadata,
    Column("deal_id", String, primary_key=True),
    Column("name", String),
    Column("rep_id", String, nullable=False),
    Column("team_id", String),
    Column("account", String),  # the account's name as the CRM showed it
    Column("account_id", String),  # accounts.account_id (NULL: linked by the name only)
    Column("product", String),
    Column("stage", String, nullable=False),
    Column("outcome", String, nullable=False),  # open / won / lost
    Column("amount_cents", BigInteger),  # NULL: amount unknown
    # The stage probability in integer basis points, 0..10,000 (10 % = 1,000): exact money × probability
    # (revision 0008; read and written only through salesops.store.probability).
    Column("probability_bp", Integer),
    Column("forecast_category", String),
    Column("created_date", Date, nullable=False),
    Column("close_date", Date),  # actual close (won/lost) or expected close (open)
    Column("lead_source", String),
    Column("deal_type", String),  # New Business / Renewal / Expansion / Existing Business (NULL: derived)
)

#: Each deal's customer and, for a won deal, its kind: derived data, the stored result of
#: :data:`salesops.store.sql.WON_KINDS_CTE` (the one definition), rewritten whole by
#: :func:`salesops.store.derived.refresh_deal_kinds` in the transaction of every write that can
#: change it (demo build, deals and accounts imports), so the pages read it instead of recomputing.
#: It also carries a copy of the deal's rep, team, close date, amount and account (revision 0010), and
#: is written won deals first in close-date order: the won-deal readers (WON_KINDS_READ, the kind sums
#: of the leaderboard and of compensation) read one window of it with no join to ``deals``, and DuckDB
#: skips the row groups outside the window by their min/max.
deal_kinds = Table(
    "deal_kinds",
    metadata,
    Column("deal_id", String, primary_key=True),
    Column("customer_id", String),  # NULL: the deal has no account
    Column("kind", String),  # new_business / renewal / expansion / existing; NULL unless won with a close date
    Column("rep_id", String),  # the deal's columns, copied
    Column("team_id", String),
    Column("close_date", Date),
    Column("amount_cents", BigInteger),
    Column("account", String),
)

#: Each customer's won purchase days: derived data, the won deals of ``deal_kinds`` summed per
#: (customer, close day) with the customer's previous and next purchase day, rewritten whole by
#: :func:`salesops.store.derived.refresh_customer_days` right after ``deal_kinds`` (same writes,
#: same transaction): what the company-wide Customers figures read. Rows with no customer hold the
#: won revenue of deals with no account, per day (no previous or next day).
customer_days = Table(
    "customer_days",
    metadata,
    Column("customer_id", String),  # NULL: won deals with no account
    Column("day", Date, nullable=False),
    Column("first_day", Date),  # the customer's first purchase day (NULL with no customer)
    Column("prev_day", Date),  # the customer's previous purchase day; NULL on the first
    Column("next_day", Date),  # the customer's next purchase day; NULL on the last
    # What the day means for the customer (salesops.store.sql.purchase_day_sql; NULL with no customer):
    Column("is_back", Integer),  # 1: more than 12 months after the previous purchase (won back)
    Column("lost_day", Date),  # the day they are lost, 12 months on, when no purchase follows by then
    Column("active_until", Date),  # active from day to the day before this one
    Column("cycle_days", Double),  # median days between their purchase days up to this one (NULL: one day)
    Column("won_cents", BigInteger, nullable=False),
    Column("existing_cents", BigInteger, nullable=False),  # of it, existing business (renewal, expansion, existing)
    Column("deals", Integer, nullable=False),
    Column("customer", String),  # the customer's name: its top-level account's, else its deals' smallest account text
    Column("customer_key", Integer),  # 1, 2, ... in customer_id order (0018; customer_tables.customer_keys)
)

#: Open renewal deals with a customer and their last stage change: derived data (accounts at risk' stale renewals),
#: rewritten with the other derived tables (:func:`salesops.store.derived.refresh_open_renewals`).
open_renewals = Table(
    "open_renewals",
    metadata,
    Column("deal_id", String, primary_key=True),
    Column("customer_id", String, nullable=False),
    Column("rep_id", String),
    Column("team_id", String),
    Column("amount_cents", BigInteger),
    Column("close_date", Date),
    Column("created_date", Date),
    Column("last_change", Date),  # the deal's latest stage change (NULL: none recorded)
    Column("customer_key", Integer),  # customer_keys.customer_key (0023; NULL: the customer never won)
)

#: Every top-level account (no parent, or a parent not stored: the customers' roots) with its first
#: won day: derived data rewritten by :func:`salesops.store.derived.refresh_account_roots` with the
#: other derived tables; the prospects at a day are the rows with no first won day by then.
account_roots = Table(
    "account_roots",
    metadata,
    Column("account_id", String, primary_key=True),
    Column("first_won_day", Date),  # NULL: no won deal yet (its subsidiaries' included)
)

deal_stage_history = Table(
    "deal_stage_history",
    metadata,
    Column("deal_id", String, nullable=False),
    Column("stage", String, nullable=False),
    Column("entered_at", Date, nullable=False),
    PrimaryKeyConstraint("deal_id", "stage", "entered_at"),
)

#: Changes to a deal's close date or amount, for "what changed this week" (push / pull-in).
deal_changes = Table(
    "deal_changes",
    metadata,
    Column("deal_id", String, nullable=False),
    Column("changed_at", Date, nullable=False),
    Column("field", String, nullable=False),  # close_date / amount_cents
    Column("old_value", String),
    Column("new_value", String),
)

activities = Table(
    "activities",
    metadata,
    Column("activity_id", String, primary_key=True),
    Column("rep_id", String, nullable=False),
    Column("team_id", String),
    Column("type", String, nullable=False),  # call / email / meeting / demo
    Column("occurred_at", Date, nullable=False),
    Column("deal_id", String),
)

comp_plans = Table(
    "comp_plans",
    metadata,
    Column("plan_id", String, nullable=False),
    Column("name", String, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("spec", Text, nullable=False),  # the plan as JSON (docs/COMP_PLANS.md)
    PrimaryKeyConstraint("plan_id", "version"),
)

tools = Table(
    "tools",
    metadata,
    Column("tool_id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("category", String, nullable=False),  # CRM, email, dialer, …
)

survey_rounds = Table(
    "survey_rounds",
    metadata,
    Column("round_id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("opens_on", Date, nullable=False),
    Column("closes_on", Date, nullable=False),
    Column("tool_ids", Text, nullable=False),  # JSON list
    Column("anonymous", Boolean, nullable=False, default=True),
)

#: One link per invited rep. The link knows the rep (to send it) but the answers never point
#: back to it: a response row stores only the round, the tool and the team.
survey_invites = Table(
    "survey_invites",
    metadata,
    Column("token", String, primary_key=True),
    Column("round_id", String, nullable=False),
    Column("rep_id", String),
    Column("team_id", String),
    Column("used", Boolean, nullable=False, default=False),
)

survey_responses = Table(
    "survey_responses",
    metadata,
    Column("response_id", String, primary_key=True),
    Column("round_id", String, nullable=False),
    Column("tool_id", String, nullable=False),
    Column("team_id", String),
    Column("satisfaction", Integer, nullable=False),  # 1..5
    Column("ease", Integer, nullable=False),  # 1..5
    Column("recommend", Integer, nullable=False),  # 0..10
    Column("usage", String),  # daily / weekly / monthly / rarely
    Column("likes", Text),
    Column("dislikes", Text),
    Column("submitted_on", Date, nullable=False),
)

import_log_id = Sequence("import_log_id_seq")

import_log = Table(
    "import_log",
    metadata,
    Column("import_id", Integer, import_log_id, primary_key=True, autoincrement=False),
    Column("imported_at", DateTime, nullable=False),
    Column("file_name", String),
    Column("table_name", String, nullable=False),
    Column("preset", String),
    Column("rows_added", Integer, nullable=False),
    Column("rows_updated", Integer, nullable=False),
    Column("rows_rejected", Integer, nullable=False),
)

#: Warnings an import accepted (docs/IMPORT.md, "Levels"): one row per warning, kept with the
#: record it is about, so the Data health view can list what to fix in the CRM.
import_warnings = Table(
    "import_warnings",
    metadata,
    Column("import_id", Integer, nullable=False),
    Column("table_name", String, nullable=False),
    Column("row_number", Integer),  # the file's row (header = row 1)
    Column("record_id", String),  # the row's id (deal_id, rep_id …) as the file had it
    Column("column_name", String, nullable=False),
    Column("value", String),
    Column("kind", String, nullable=False),
    Column("reason", String, nullable=False),
)


def _payload_table(name: str) -> Table:
    key = (Column("cache_key", String, primary_key=True), Column("data_version", BigInteger, nullable=False))
    rest = (Column("created_at", DateTime, nullable=False), Column("payload", Text, nullable=False))
    return Table(name, metadata, *key, *rest)


#: Persisted forecast fits, keyed on (series, grain, horizon, data version).
forecast_cache = _payload_table("forecast_cache")
#: Outlook backtests (MBs of JSON), apart from forecast_cache's small rows (docs/FORECASTS.md, speed).
forecast_backtests = _payload_table("forecast_backtests")

#: Weekly snapshots of the headline figures per company, region, team and rep (docs/REVIEW.md):
#: what the store knew at the end of ``as_of``, for "what changed since last week". The flow_*
#: columns are the week's (as_of − 7, as_of] moves of the weighted pipeline of the quarter, so the
#: forecast waterfall needs nothing but two snapshots.
review_snapshots = Table(
    "review_snapshots",
    metadata,
    Column("as_of", Date, nullable=False),  # the last day counted
    Column("level", String, nullable=False),  # company / region / team / rep
    Column("entity_id", String, nullable=False),  # 'company', region name, team_id, rep_id
    Column("name", String, nullable=False),
    Column("team_id", String),  # teams and reps
    Column("region", String),
    Column("role", String),  # reps
    Column("period_start", Date, nullable=False),  # the quarter measured
    Column("period_end", Date, nullable=False),
    Column("won_cents", BigInteger, nullable=False),  # won in the quarter to as_of
    Column("quota_cents", BigInteger, nullable=False),  # the whole quarter's quota
    Column("attainment", Double),  # won ÷ quota; NULL without quota
    Column("open_cents", BigInteger, nullable=False),  # open deals expected to close in the quarter
    Column("weighted_cents", BigInteger, nullable=False),  # the same × probability
    Column("p10_cents", BigInteger),  # the quarter's outlook (won + forecast of the rest)
    Column("p50_cents", BigInteger),
    Column("p90_cents", BigInteger),
    Column("chance_of_quota", Double),  # P(quarter won ≥ quota); NULL without quota
    Column("rank", Integer),  # attainment rank among AEs (reps) or teams; NULL when unranked
    Column("flags", String, nullable=False, default=""),  # comma-separated: ramping, behind pace, no pipeline
    Column("flow_new_cents", BigInteger),  # NULL: the week before was another quarter
    Column("flow_won_cents", BigInteger),
    Column("flow_lost_cents", BigInteger),
    Column("flow_pushed_cents", BigInteger),
    Column("flow_pulled_cents", BigInteger),
    Column("flow_amount_cents", BigInteger),
    Column("created_at", DateTime, nullable=False),
    PrimaryKeyConstraint("as_of", "level", "entity_id"),
)

# PostgreSQL-only date indexes (revisions 0002, 0010); DuckDB skips row groups by min/max instead.
for _name, _table, _column in (
    ("ix_deals_close_date", deals, "close_date"),
    ("ix_deals_created_date", deals, "created_date"),
    ("ix_leads_created_at", leads, "created_at"),
    ("ix_activities_occurred_at", activities, "occurred_at"),
    ("ix_deal_changes_changed_at", deal_changes, "changed_at"),
    ("ix_deal_kinds_close_date", deal_kinds, "close_date"),  # revision 0010
):
    Index(_name, _table.c[_column]).ddl_if(dialect="postgresql")


#: Who may sign in and what they see (salesops.access). team_ids is a JSON list of team ids.
users = Table(
    "users",
    metadata,
    Column("email", String, primary_key=True),  # lower-cased
    Column("role", String, nullable=False),  # admin / ops / manager / rep / viewer
    Column("rep_id", String),
    Column("team_ids", Text, nullable=False, default="[]"),
    Column("added_on", Date, nullable=False),
)

audit_log_id = Sequence("audit_log_id_seq")

#: Who did what, when: imports, plan saves, survey rounds opened, user changes (salesops.audit).
audit_log = Table(
    "audit_log",
    metadata,
    Column("entry_id", Integer, audit_log_id, primary_key=True, autoincrement=False),
    Column("logged_at", DateTime, nullable=False),
    Column("who", String, nullable=False),
    Column("what", String, nullable=False),
    Column("details", Text, nullable=False, default=""),
)

# Derived tables: rollups, customer_tables, health_tables, period_tables (kind_tables), survey_tables modules.
from salesops.store import customer_tables, grain_tables, health_tables, period_tables, rollups, survey_tables  # noqa: E402,F401,I001
