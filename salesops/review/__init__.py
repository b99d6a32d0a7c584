"""The weekly team review: snapshots of the headline figures, the forecast waterfall, the agenda."""

from salesops.review.snapshots import build_snapshots, load_snapshot, snapshot_dates, take_snapshots
from salesops.review.waterfall import Waterfall, waterfall

__all__ = ["Waterfall", "build_snapshots", "load_snapshot", "snapshot_dates", "take_snapshots", "waterfall"]
