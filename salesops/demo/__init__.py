"""The demo organisation: a seeded, deterministic sales org with three years of history.

``build_demo(engine, seed=7, scale="small", today=None)`` is the one builder used by ``make run``,
the tests and the benchmark. Everything is generated with numpy, vectorised per batch of teams,
and bulk-loaded in one transaction. The planted traits (docs/DEMO_DATA.md) are:

* yearly seasonality (strong Q4, summer dip), growth, and end-of-quarter close-date clustering;
* new hires ramping (reduced quota and deal flow for ``ramp_months``);
* stars (high win rate, bigger deals) and strugglers (low win rate, deals stall in Proposal);
* one low-volume new hire with only a handful of deals (must not be flagged);
* a team whose funnel stalls at qualification (plenty of leads, few SQLs);
* a team whose lead routing is lopsided (two reps get most leads);
* a tool reps dislike (the dialer), getting worse each survey round;
* a rep who changed team a year ago (their old deals stay with the old team).

The modules: :mod:`~salesops.demo.org` (teams, reps, quotas), :mod:`~salesops.demo.deals`,
:mod:`~salesops.demo.activity` (leads, activities), :mod:`~salesops.demo.surveys` and
:mod:`~salesops.demo.build` (the one transaction). Every step draws from one generator in a fixed
order, so the same seed gives the same rows.
"""

from salesops.demo.build import DemoSummary, build_demo
from salesops.demo.org import DISLIKED_TOOL, LOPSIDED_ROUTING_TEAM, SCALES, STALLED_FUNNEL_TEAM, planted_reps

__all__ = [
    "DISLIKED_TOOL",
    "LOPSIDED_ROUTING_TEAM",
    "SCALES",
    "STALLED_FUNNEL_TEAM",
    "DemoSummary",
    "build_demo",
    "planted_reps",
]
