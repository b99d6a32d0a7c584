"""Goals and pay: plans, the exact payout engine, the plan document, payouts from the store (docs/COMP_PLANS.md)."""
