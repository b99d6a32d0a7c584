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
    level: str = "error"  # "error" rejects the file; "warning" is imported and recorded


#: Problem kinds that are warnings: the file reads as meant but the CRM data is questionable. They
#: are imported and recorded per row in ``import_warnings``; ``strict`` makes them errors. Every
#: other kind is an error. docs/IMPORT.md lists each kind with its level.
WARNING_KINDS = (
    "close_before_create",
    "closed_in_future",
    "open_past_close",
    "probability_vs_outcome",
    "unusual_amount",
    "control_characters",
    "unknown_account",
)


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
    problem_counts: tuple[tuple[str, int], ...] = ()  # every error, counted per kind
    warnings: tuple[Problem, ...] = ()  # the first MAX_LISTED warnings, by row
    warning_counts: tuple[tuple[str, int], ...] = ()  # every warning, counted per kind
    strict: bool = False  # warnings were treated as errors
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

    @property
    def warning_total(self) -> int:
        return sum(n for _, n in self.warning_counts)

    def problems_frame(self) -> pd.DataFrame:
        """The listed errors then warnings as a frame: level, row, column, value, reason, kind."""
        return pd.DataFrame(
            [(p.level, p.row, p.column, p.value, p.reason, p.kind) for p in (*self.problems, *self.warnings)],
            columns=["level", "row", "column", "value", "reason", "kind"],
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


#: How much of a bad value a report shows (a 100,000-character cell is shown by its start and length).
SHOWN_CHARS = 80


def shown(values: pd.Series) -> pd.Series:
    """Values as a report shows them: text, cut to SHOWN_CHARS with the full length said."""
    text = values.astype("object").where(values.notna(), "").astype(str)
    long = text.str.len() > SHOWN_CHARS
    if not long.any():
        return text
    return text.where(~long, text.str[: SHOWN_CHARS - 20] + "… (" + text.str.len().map("{:,}".format) + " chars)")


class ProblemLog:
    """Collects problems as small frames (vectorised: one mask per check).

    A kind in WARNING_KINDS is a warning unless ``strict``. ``record_ids`` (the key column's raw
    values, set once the columns are mapped) is kept with each warning so it can be stored per row.
    """

    def __init__(self, rows: pd.Series, strict: bool = False) -> None:
        self.rows = rows.to_numpy()
        self.strict = strict
        self.record_ids: np.ndarray | None = None
        self.parts: list[pd.DataFrame] = []

    def level(self, kind: str) -> str:
        return "warning" if kind in WARNING_KINDS and not self.strict else "error"

    def cells(self, kind: str, mask: pd.Series, column: str, values: pd.Series | None, reason) -> None:
        m = np.asarray(pd.Series(mask).fillna(False), dtype=bool)
        if not m.any():
            return
        vals = values if values is not None else pd.Series("", index=mask.index)
        why = reason.to_numpy()[m] if isinstance(reason, pd.Series) else reason
        ids = self.record_ids[m] if self.record_ids is not None else None
        self.parts.append(
            pd.DataFrame(
                {
                    "row": self.rows[m],
                    "column": column,
                    "value": shown(pd.Series(vals.to_numpy()[m])).to_numpy(),
                    "reason": why,
                    "kind": kind,
                    "level": self.level(kind),
                    "record_id": ids,
                }
            )
        )

    def file(self, kind: str, reason: str, column: str = "", value: str = "", row: int | None = None) -> None:
        self.parts.append(
            pd.DataFrame(
                {
                    "row": [row],
                    "column": [column],
                    "value": shown(pd.Series([value])).to_numpy(),
                    "reason": [reason],
                    "kind": [kind],
                    "level": [self.level(kind)],
                    "record_id": [None],
                }
            )
        )

    def _all(self, level: str) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=["row", "column", "value", "reason", "kind", "level", "record_id"])
        allp = pd.concat(self.parts, ignore_index=True)
        allp["row"] = allp["row"].astype("Int64")
        return allp[allp["level"] == level]

    @staticmethod
    def _listed(allp: pd.DataFrame) -> tuple[Problem, ...]:
        listed = allp.sort_values("row", na_position="first", kind="stable").head(MAX_LISTED)
        return tuple(
            Problem(
                None if pd.isna(r.row) else int(r.row), str(r.column), str(r.value), str(r.reason), str(r.kind), r.level
            )
            for r in listed.itertuples(index=False)
        )

    def summary(self) -> tuple[tuple[Problem, ...], tuple[tuple[str, int], ...], int]:
        """The errors: the first MAX_LISTED by row, the count per kind, the rows they touch."""
        allp = self._all("error")
        if allp.empty:
            return (), (), 0
        counts = allp["kind"].value_counts().sort_index()  # by kind: the same however the file is chunked
        rejected = int(allp["row"].dropna().nunique())
        return self._listed(allp), tuple((str(k), int(n)) for k, n in counts.items()), rejected

    def warnings(self) -> tuple[tuple[Problem, ...], tuple[tuple[str, int], ...], pd.DataFrame]:
        """The warnings: the first MAX_LISTED by row, the count per kind, and all of them as a frame."""
        allp = self._all("warning")
        counts = allp["kind"].value_counts().sort_index()  # by kind: the same however the file is chunked
        return self._listed(allp), tuple((str(k), int(n)) for k, n in counts.items()), allp.reset_index(drop=True)


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
            f"REJECTED: {report.problem_total} error(s) in {report.rows_rejected} row(s); nothing was written."
            + (" (--strict: warnings count as errors)" if report.strict else "")
        )
        lines += _problem_lines(report.problems, report.problem_total, "error")
        lines.append("errors by kind: " + ", ".join(f"{k} {n}" for k, n in report.problem_counts))
    if report.warnings:
        lines.append(
            f"WARNINGS: {report.warning_total} warning(s): the rows "
            + ("would be imported" if not report.ok or not report.written else "were imported")
            + " and each warning is recorded (see `python -m salesops health`); --strict rejects them."
        )
        lines += _problem_lines(report.warnings, report.warning_total, "warning")
        lines.append("warnings by kind: " + ", ".join(f"{k} {n}" for k, n in report.warning_counts))
    if not report.ok:
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


def _problem_lines(problems: tuple[Problem, ...], total: int, level: str) -> list[str]:
    """The listed problems of one level as aligned text lines (the level first), and how many more."""
    lines = [f"{'level':<8} {'row':>7}  {'column':<20} {'value':<24} reason"]
    for p in problems:
        row = "" if p.row is None else p.row
        lines.append(f"{level:<8} {row:>7}  {p.column[:20]:<20} {p.value[:24]:<24} {p.reason}")
    if total > len(problems):
        lines.append(f"… and {total - len(problems)} more {level}(s).")
    return lines
