"""Visibility: KPIs against quota, pacing, attainment, the funnel and what changed (docs/METRICS.md)."""
