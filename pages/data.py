"""Data: import a CRM export (upload, column mapping, validation report, confirm) and the import log."""

import hashlib

import pandas as pd
import streamlit as st

from pages.ui import loaders, shell, widgets
from salesops import audit, config, health, ingest
from salesops import format as fmt
from salesops.forecasts import apart, outlook_cache
from salesops.ingest.presets import PRESET_NAMES
from salesops.ingest.spec import SPECS, TABLES, BadImportOption

PRESET_LABELS = {"none": "Any CSV (match columns by name)", "salesforce": "Salesforce", "hubspot": "HubSpot"}
ERROR_STYLE = "color: #b3261e"
WARNING_STYLE = "color: #8a5300"

shell.page("Data", staff_only=True)
engine = loaders.engine()
st.title("Data")
updated = loaders.last_updated()
st.caption(
    "Bring your own CRM data: upload an export, check the mapping and the report, then import. "
    "Nothing is written unless the whole file is valid. Data as of "
    + (f"{updated:%d %b %Y %H:%M}." if updated else "— (no data loaded yet).")
)


def _compute_ahead(engine, table: str, today) -> None:
    """The new data's outlooks, then each series' model choice (minutes), computed in a child process
    (salesops.forecasts.apart: never in the app's, whose memory they would outgrow at scale)."""
    if table in outlook_cache.OUTLOOK_TABLES and config.warmup_enabled():
        apart.start(engine, today, ("quarter", "month"), choice=config.model_choice_ahead())


def show_report(report: ingest.ImportReport) -> None:
    """The validation report: how the file was read, the stages, and the problems in red."""
    for note in report.notes:
        st.caption(f":material/info: {fmt.md_escape(note)}")
    if report.stages:
        stages = ingest.stage_summary(report)
        stages["outcome"] = stages["outcome"].replace("", "no rule")
        st.markdown("**Stages and their outcome**")
        st.dataframe(
            stages.style.map(lambda v: ERROR_STYLE if v == "no rule" else "", subset=["outcome"]),
            hide_index=True,
            key="data_stage_table",
        )
    if report.ok:
        st.success(
            f"{report.rows_read:,} rows are valid and ready to import into **{report.table}**"
            + (
                f" ({fmt.count(report.warning_total, 'warning')} below "
                + ("is" if report.warning_total == 1 else "are")
                + " imported and recorded)."
                if report.warnings
                else "."
            ),
            icon=":material/check_circle:",
        )
        if report.created_teams:
            st.caption("Teams that will be created: " + ", ".join(report.created_teams))
        if report.created_reps:
            st.caption("Reps that will be created: " + ", ".join(report.created_reps))
    else:
        kinds = ", ".join(f"{kind.replace('_', ' ')}: {n:,}" for kind, n in report.problem_counts)
        st.error(
            f"**{fmt.count(report.problem_total, 'error')} in {fmt.count(report.rows_rejected, 'row')} — nothing will be "
            "imported.** "
            f"{kinds}. Fix the file, change the mapping, or add stage rules, and it is checked again."
            + (" Strict mode is on: warnings count as errors." if report.strict else ""),
            icon=":material/error:",
        )
    if report.warnings:
        kinds = ", ".join(f"{kind.replace('_', ' ')}: {n:,}" for kind, n in report.warning_counts)
        st.warning(
            f"**{fmt.count(report.warning_total, 'warning')}**: the file reads as meant but the CRM data looks wrong ({kinds}). "
            "These rows import; each warning is recorded and listed under Data health. "
            "Tick *Strict* to reject the file instead.",
            icon=":material/warning:",
        )
    if report.problems or report.warnings:
        problems = report.problems_frame().drop(columns=["kind"])
        st.dataframe(
            problems.style.apply(
                lambda row: [ERROR_STYLE if row["level"] == "error" else WARNING_STYLE] * len(row), axis=1
            ),
            hide_index=True,
            key="data_problems",
        )
        if report.problem_total > len(report.problems) or report.warning_total > len(report.warnings):
            st.caption("The first 50 errors and 50 warnings are listed; the counts above cover all of them.")


def importer() -> None:
    c1, c2 = st.columns(2)
    table = c1.selectbox("Import into", TABLES, index=TABLES.index("deals"), key="data_table")
    preset_key = c2.selectbox(
        "Exported from", ["none", *PRESET_NAMES], key="data_preset", format_func=PRESET_LABELS.get
    )
    preset = None if preset_key == "none" else preset_key
    fields_text = ", ".join(f"**`{f.name}`**" if f.required else f"`{f.name}`" for f in SPECS[table].fields)
    st.caption(
        f"Fields of **{table}** (bold = required): {fields_text}. Import teams and reps before the deals, "
        "quotas, leads and activities that point at them."
    )
    # A new uploader key after each import empties it, so the imported file's "ready to import" report
    # and button go away (Streamlit has no other way to clear a file uploader).
    generation = st.session_state.get("data_upload_generation", 0)
    upload = st.file_uploader(
        "CSV export",
        type=["csv", "txt", "tsv"],
        key=f"data_file_{generation}" if generation else "data_file",
        max_upload_size=config.max_upload_mb(),
        help=f"Up to {config.max_upload_mb()} MB (SALESOPS_MAX_UPLOAD_MB). UTF-8, UTF-16 or Latin-1; , ; or tab separated.",
    )
    if upload is None:
        if "data_last_import" in st.session_state:
            st.success(st.session_state["data_last_import"], icon=":material/task_alt:")
        st.info(
            "Upload a CSV export to see how its columns map and what would be imported.", icon=":material/upload_file:"
        )
        return
    st.session_state.pop("data_last_import", None)  # a new file: the last import's message has been read
    data = upload.getvalue()
    digest = hashlib.sha1(data, usedforsecurity=False).hexdigest()[:10]

    st.subheader("Column mapping")
    proposed = ingest.preview(data, table, preset)
    fields = ["", *SPECS[table].names]
    edited = st.data_editor(
        proposed,
        hide_index=True,
        disabled=["column", "example"],
        column_config={
            "column": st.column_config.TextColumn("File column"),
            "field": st.column_config.SelectboxColumn("Field (empty = ignore)", options=fields, required=False),
            "example": st.column_config.TextColumn("Example values"),
        },
        key=f"data_mapping_{table}_{preset_key}_{digest}",
    )
    mapping = tuple(zip(edited["column"], edited["field"].fillna(""))) if len(edited) else ()

    stage_rules: tuple = ()
    create_reps = False
    date_order = None
    strict = False
    decimal_mark = None
    with st.expander("Options: stage rules, missing reps, strict, decimal mark, date order", expanded=False):
        if table == "deals":
            rules_text = st.text_area(
                "Stage rules, one per line",
                key="data_stages",
                placeholder="Verbal Yes=won\nOn Hold=open",
                help="STAGE=open|won|lost. They win over the preset's rules.",
            )
            stage_rules = tuple(line.strip() for line in rules_text.splitlines() if line.strip())
        if SPECS[table].rep_ref:
            create_reps = st.checkbox(
                "Create reps the file names but the store lacks (in an 'Unassigned' team)", key="data_create_reps"
            )
        strict = st.checkbox(
            "Strict: reject the file on warnings too (close before create, won in the future, …)",
            key="data_strict",
        )
        mark = st.radio(
            "Amounts like 1.500 use",
            ["detect", "a decimal point (1,234.56)", "a decimal comma (1.234,56)"],
            key="data_decimal_mark",
            horizontal=True,
            help="Detect: each column proves its mark (500.00, 1.234,56); a value that reads both ways is reported.",
        )
        decimal_mark = {"detect": None, "a decimal point (1,234.56)": ".", "a decimal comma (1.234,56)": ","}[mark]
        order = st.radio(
            "Dates like 03/04/2025 are",
            ["detect", "month first (US)", "day first (EU)"],
            key="data_dates",
            horizontal=True,
        )
        date_order = {"detect": None, "month first (US)": "us", "day first (EU)": "eu"}[order]

    # What the check and the import are both given, so the import is exactly what was checked.
    options = dict(
        preset=preset,
        mapping=mapping,
        stages=stage_rules,
        create_missing_reps=create_reps,
        date_order=date_order,
        strict=strict,
        decimal_mark=decimal_mark,
        file_name=upload.name,
    )
    st.subheader("Validation report")
    try:
        with st.spinner("Checking the file…"):
            report = loaders.validate_file(table, data, **options)
    except BadImportOption as exc:
        st.error(f"**{fmt.md_escape(exc.message)}** {fmt.md_escape(exc.hint)}", icon=":material/error:")
        return
    show_report(report)
    if not report.ok:
        return
    if st.button(f"Import {report.rows_read:,} rows into {table}", type="primary", key="data_confirm"):
        bar = st.progress(0.0, text="Starting…")
        try:
            done = ingest.import_file(
                engine,
                table,
                data,
                **options,
                progress=lambda f, text: bar.progress(min(max(f, 0.0), 1.0), text=text),
            )
        except ingest.ImportRejected as exc:  # the store changed since the check (another import)
            bar.empty()
            show_report(exc.report)
            return
        except Exception as exc:  # a damaged store: named as such, not shown as SQL
            bar.empty()
            loaders.stop_on_store_error(exc)
            raise
        bar.empty()
        audit.record(engine, shell.current_viewer().email, "import", f"{done.table} from {done.file_name}")
        e = fmt.md_escape
        st.session_state["data_last_import"] = (
            f"Imported **{e(done.file_name)}** into **{done.table}**: {done.rows_added:,} added, "
            f"{done.rows_updated:,} updated, {done.rows_unchanged:,} unchanged ({done.seconds:.1f} s)."
            + (f" Created reps: {e(', '.join(done.created_reps))}." if done.created_reps else "")
            + (f" Created teams: {e(', '.join(done.created_teams))}." if done.created_teams else "")
        )
        # The forecast outlooks of the new data, then each series' model choice, computed ahead in a
        # child process (SALESOPS_WARMUP, SALESOPS_MODEL_CHOICE), so the Forecasts page only reads them.
        _compute_ahead(engine, done.table, widgets.today())
        st.session_state["data_upload_generation"] = generation + 1
        st.rerun()  # so "data as of" and every cached figure follow the import at once


if widgets.presentation():
    st.info("Importing is hidden in presentation mode; the import log is below.", icon=":material/slideshow:")
else:
    importer()


def data_health() -> None:
    """What to fix in the CRM: trust score and counts per team, then the records of one check."""
    st.subheader("Data health", anchor="data-health")
    stale_days = st.number_input(
        "An open deal is stale after this many days without a stage change or activity",
        min_value=1,
        max_value=3650,
        value=health.STALE_DAYS,
        step=1,
        key="stale_days",
        bind="query-params",  # a shared link opens the section with the same threshold
    )
    rep = loaders.health_report(widgets.today(), int(stale_days))
    if rep.by_team.empty:
        st.success("No data-health problem found: nothing to fix in the CRM.", icon=":material/verified:")
        return
    st.caption(
        "Data-trust score per team: the share of its live deals (open, or closed in the last 365 days) with no "
        "flag, minus 5 points per active rep with deals but no quota (docs/DATA_HEALTH.md)."
    )
    trust = rep.trust.drop(columns=["team_id"])
    st.dataframe(
        trust,
        hide_index=True,
        key="data_trust",
        column_config={
            "team": "Team",
            "live_deals": st.column_config.NumberColumn("Live deals", format="%d"),
            "flagged_deals": st.column_config.NumberColumn("Flagged deals", format="%d"),
            "reps_without_quota": st.column_config.NumberColumn("Reps without quota", format="%d"),
            "trust": st.column_config.ProgressColumn("Trust score", min_value=0, max_value=100, format="%.1f"),
        },
    )
    by_team = rep.by_team.merge(rep.trust[["team_id", "team"]], on="team_id", how="left")
    by_team["team"] = by_team["team"].fillna("(no team)")
    counts = by_team.pivot_table(index="team", columns="check", values="records", aggfunc="sum", fill_value=0)
    counts = counts[[c for c in health.CHECKS if c in counts.columns]].rename(columns=health.LABELS)
    st.dataframe(counts.rename_axis(index="Team", columns=None), key="data_health_counts")
    checks = rep.checks
    check = st.selectbox(
        "Records to fix in the CRM", checks, format_func=lambda c: health.CHECKS[c], key="data_health_check"
    )
    shown, total = loaders.records_to_fix(widgets.today(), int(stale_days), check)
    shown = shown.assign(value=shown["value_cents"] / 100)[["team", "record_id", "label", "value", "detail"]]
    st.dataframe(
        shown,
        hide_index=True,
        key="data_health_records",
        placeholder=fmt.MISSING,  # a deal with no amount, a new hire with nothing won yet
        column_config={
            "team": "Team",
            "record_id": "CRM id",
            "label": "Deal / rep",
            "value": st.column_config.NumberColumn("Value", format="dollar"),
            "detail": "What to fix",
        },
    )
    if total > len(shown):
        st.caption(
            f"Showing the first {len(shown):,} of {total:,} records (the download too): fix these, or narrow the "
            "store, and the next ones follow."
        )
    widgets.csv_download(shown, f"data_health_{check}.csv", key="data_health_csv", label="Download the list")


data_health()

st.subheader("Import log")
log = loaders.import_history()
if log.empty:
    st.info(
        "No imports yet. The store holds the demo organisation or nothing; upload an export above, "
        "or run `python -m salesops import TABLE FILE` (docs/IMPORT.md).",
        icon=":material/inbox:",
    )
else:
    shown = log.assign(
        preset=log["preset"].fillna("—"), imported_at=pd.to_datetime(log["imported_at"]).dt.strftime("%Y-%m-%d %H:%M")
    )
    st.dataframe(
        shown,
        hide_index=True,
        key="data_log",
        column_config={
            "import_id": st.column_config.NumberColumn("#"),
            "imported_at": "When",
            "file_name": "File",
            "table_name": "Table",
            "preset": "Preset",
            "rows_added": st.column_config.NumberColumn("Added", format="%d"),
            "rows_updated": st.column_config.NumberColumn("Updated", format="%d"),
            "rows_rejected": st.column_config.NumberColumn("Rejected", format="%d"),
        },
    )
    widgets.csv_download(log, "import_log.csv", key="data_log_csv", label="Download the log")

if shell.current_viewer().role == "admin":
    st.subheader("Audit trail")
    trail = audit.load_audit(loaders.engine())
    if trail.empty:
        st.caption("Nothing audited yet: imports, plan saves, survey rounds opened and user changes appear here.")
    else:
        st.caption("Imports, plan saves, survey rounds opened and user changes, newest first (admins only).")
        st.dataframe(trail, hide_index=True, key="data_audit", width="stretch")
