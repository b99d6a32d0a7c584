"""What an import found and did: the problems (collected column by column), the report, its text.

``ImportReport`` is what every import and dry run returns; ``ImportRejected`` carries it when the
data has problems and nothing was written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesops.ingest.spec import IngestError

#: How many problems a report lists one by one; the rest are counted per kind.
MAX_LISTED = 50


@dataclass(frozen=True)
class Problem:
    """One bad cell or file-level problem. ``row`` counts like a spreadsheet (header = row 1)."""

    row: int | None
    column: str
    value: str
    reason: str
    kind: str


@dataclass(frozen=True)
class ImportReport:
    """What an import (or a dry run) found and did."""

    table: str
    file_name: str | None
    preset: str | None
    rows_read: int
    rows_added: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    problems: tuple[Problem, ...] = ()  # the first MAX_LISTED, by row
    problem_counts: tuple[tuple[str, int], ...] = ()  # every problem, counted per kind
    mapping: tuple[tuple[str, str], ...] = ()  # (source column, field or '' if ignored)
    stages: tuple[tuple[str, str, int], ...] = ()  # deals: (stage, outcome or '', rows)
    created_teams: tuple[str, ...] = ()
    created_reps: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # how the file was read: encoding, date formats, percent columns
    dry_run: bool = False
    written: bool = False
    import_id: int | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problem_counts

    @property
    def problem_total(self) -> int:
        return sum(n for _, n in self.problem_counts)

    def problems_frame(self) -> pd.DataFrame:
        """The listed problems as a frame: row, column, value, reason, kind."""
        return pd.DataFrame(
            [(p.row, p.column, p.value, p.reason, p.kind) for p in self.problems],
            columns=["row", "column", "value", "reason", "kind"],
        ).astype({"row": "Int64"})


class ImportRejected(IngestError):
    """The data has problems; nothing was written. ``report`` lists them."""

    def __init__(self, report: ImportReport) -> None:
        what = report.file_name or f"The {report.table} data"
        kinds = ", ".join(f"{k} {n}" for k, n in report.problem_counts)
        super().__init__(
            f"{what} was not imported: {report.problem_total} problem(s) in "
            f"{report.rows_rejected or 'the'} row(s) ({kinds}).",
            "Nothing was written. Fix the rows listed in the report (or map columns with --map and stages "
            "with --stage) and import again; docs/IMPORT.md lists the fields.",
        )
        self.report = report


class ProblemLog:
    """Collects problems as small frames (vectorised: one mask per check)."""

    def __init__(self, rows: pd.Series) -> None:
        self.rows = rows.to_numpy()
        self.parts: list[pd.DataFrame] = []

    def cells(self, kind: str, mask: pd.Series, column: str, values: pd.Series | None, reason) -> None:
        m = np.asarray(pd.Series(mask).fillna(False), dtype=bool)
        if not m.any():
            return
        vals = values if values is not None else pd.Series("", index=mask.index)
        shown = pd.Series(vals.to_numpy()[m]).astype("object").where(lambda v: v.notna(), "").astype(str).str[:80]
        why = reason.to_numpy()[m] if isinstance(reason, pd.Series) else reason
        self.parts.append(
            pd.DataFrame(
                {"row": self.rows[m], "column": column, "value": shown.to_numpy(), "reason": why, "kind": kind}
            )
        )

    def file(self, kind: str, reason: str, column: str = "", value: str = "", row: int | None = None) -> None:
        self.parts.append(
            pd.DataFrame({"row": [row], "column": [column], "value": [value], "reason": [reason], "kind": [kind]})
        )

    def summary(self) -> tuple[tuple[Problem, ...], tuple[tuple[str, int], ...], int]:
        if not self.parts:
            return (), (), 0
        allp = pd.concat(self.parts, ignore_index=True)
        allp["row"] = allp["row"].astype("Int64")
        listed = allp.sort_values("row", na_position="first", kind="stable").head(MAX_LISTED)
        problems = tuple(
            Problem(None if pd.isna(r.row) else int(r.row), str(r.column), str(r.value), str(r.reason), str(r.kind))
            for r in listed.itertuples(index=False)
        )
        counts = allp["kind"].value_counts(sort=False)
        rejected = int(allp["row"].dropna().nunique())
        return problems, tuple((str(k), int(n)) for k, n in counts.items()), rejected


def stage_summary(report: ImportReport) -> pd.DataFrame:
    """A deals report's stages: stage, outcome ('' = no rule), rows."""
    return pd.DataFrame(list(report.stages), columns=["stage", "outcome", "rows"])


def format_report(report: ImportReport) -> str:
    """The report as plain text for the CLI."""
    lines = [
        f"{report.file_name or 'data'} -> {report.table}"
        + (f" (preset {report.preset})" if report.preset else "")
        + f": {report.rows_read:,} row(s) read"
    ]
    mapped = [f"{s} -> {f}" for s, f in report.mapping if f]
    ignored = [s for s, f in report.mapping if not f]
    if mapped:
        lines.append("columns: " + ", ".join(mapped))
    if ignored:
        lines.append("ignored columns: " + ", ".join(ignored))
    lines += [f"note: {n}" for n in report.notes]
    if report.stages:
        lines.append("stages: " + ", ".join(f"{s} = {o or '?'} ({n})" for s, o, n in report.stages))
    if not report.ok:
        lines.append(
            f"REJECTED: {report.problem_total} problem(s) in {report.rows_rejected} row(s); nothing was written."
        )
        lines.append(f"{'row':>7}  {'column':<20} {'value':<24} reason")
        for p in report.problems:
            lines.append(f"{'' if p.row is None else p.row:>7}  {p.column[:20]:<20} {p.value[:24]:<24} {p.reason}")
        if report.problem_total > len(report.problems):
            lines.append(f"… and {report.problem_total - len(report.problems)} more.")
        lines.append("problems by kind: " + ", ".join(f"{k} {n}" for k, n in report.problem_counts))
        return "\n".join(lines)
    if report.created_teams:
        lines.append("created teams: " + ", ".join(report.created_teams))
    if report.created_reps:
        lines.append("created reps: " + ", ".join(report.created_reps))
    if report.written:
        lines.append(
            f"imported: {report.rows_added:,} added, {report.rows_updated:,} updated, "
            f"{report.rows_unchanged:,} unchanged (import #{report.import_id}, {report.seconds:.1f} s)"
        )
    else:
        lines.append(f"dry run: {report.rows_read:,} row(s) valid; nothing was written.")
    return "\n".join(lines)
