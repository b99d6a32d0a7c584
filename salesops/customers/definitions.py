"""The words of every customer figure: one dict, shown as help on the Customers page and checked
word for word against docs/CUSTOMERS.md (tests/unit/test_docs.py)."""

from __future__ import annotations

from salesops.store.sql import ACTIVE_MONTHS

__all__ = ["ACTIVE_MONTHS", "DEFINITIONS"]

DEFINITIONS: dict[str, str] = {
    "Customer": (
        "A company with at least one won deal. A deal belongs to the account it names (by account id, "
        "or by name ignoring case and repeated spaces); a subsidiary's deals count for its top-level "
        "parent account. Won deals with no account are in the revenue figures but are no customer."
    ),
    "Prospects": (
        "Companies in the accounts file with no won deal yet (up to the end of the range), counted like "
        "customers: a top-level account together with its subsidiaries. Only accounts from an accounts "
        "file are known before they buy; the count is for the whole company, whatever team or region is "
        "selected."
    ),
    "New business revenue": (
        "Won revenue of deals whose type is New Business. A deal with no type is new business when it "
        "closed on its customer's first won day (or has no account), and existing business after that."
    ),
    "Existing customer revenue": (
        "Won revenue of renewals, expansions and other existing business, so new business plus existing "
        "customer revenue is all won revenue. Share from existing = existing customer revenue ÷ won revenue."
    ),
    "Active customers": (
        "Customers with a won deal in the 12 months up to the end of the period (up to today in the "
        "current, partial period)."
    ),
    "New customers": "Customers whose first won deal closed in the period.",
    "Returning customers": (
        "Customers won back in the period: a won deal more than 12 months after their previous one."
    ),
    "Lost customers": (
        "Customers whose 12 months without a won deal ran out in the period: the period holds the day "
        "12 months after their last purchase, with no purchase since. A customer who stopped buying less "
        "than 12 months ago is not lost yet (see Accounts at risk), so recent periods can still gain "
        "lost customers. Active at the end = active at the start + new + returning − lost."
    ),
    "Net revenue retention": (
        "For the customers won in a calendar year (the cohort): their won revenue in a later calendar "
        "year ÷ their won revenue in the cohort's own year (year 1; year 2 is the next calendar year, "
        "and so on). Above 100% means renewals and expansion outgrew churn."
    ),
    "Gross revenue retention": (
        "Like net revenue retention, but each customer counts at most their first year's revenue: "
        "the sum over the cohort of the smaller of year-N and year-1 revenue ÷ the cohort's year-1 "
        "revenue. Expansion does not count, so it is at most 100%."
    ),
    "Cohort chart": (
        "Customers grouped by the quarter of their first won deal; each later quarter shows the share "
        "of them active at its end (a won deal in the 12 months up to it)."
    ),
    "Top-10 share": "Won revenue of the 10 customers who bought most in the range ÷ all won revenue in the range.",
    "Accounts at risk": (
        "Customers with a won deal in the last 24 months and at least one warning: spend fell (won revenue "
        "in the last 12 months at least 50% below the 12 months before), overdue (no purchase for longer "
        "than their usual cycle, the median gap between their purchases, plus 30 days), or a stale "
        "renewal (an open renewal deal past its expected close date, or with no stage change for 30 days)."
    ),
}
