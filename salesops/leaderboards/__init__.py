"""Comparison: fair rankings, cohorts, movers, flags and why a rep is behind (docs/LEADERBOARDS.md)."""
