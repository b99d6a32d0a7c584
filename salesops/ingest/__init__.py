"""CSV import: validated, idempotent, all-or-nothing (docs/IMPORT.md).

- :mod:`salesops.ingest.spec` — what a table may hold: fields, kinds, accepted spellings.
- :mod:`salesops.ingest.presets` — vendor presets, stage rules, the proposed column mapping.
- :mod:`salesops.ingest.parse` — reading: bytes -> text cells -> dates, numbers, flags;
  :mod:`~salesops.ingest.money` — amounts -> exact cents; :mod:`~salesops.ingest.text` — text cells.
- :mod:`salesops.ingest.validate` — the checks, step by step, and the plan to write;
  :mod:`~salesops.ingest.cells` — every field read by its kind.
- :mod:`salesops.ingest.stream` — a CSV read a chunk of rows at a time; :mod:`~salesops.ingest.chunked`
  — a large file checked, staged and written chunk by chunk with the same report and rows.
- :mod:`salesops.ingest.rows` — per-table rows and their own checks; :mod:`~salesops.ingest.reps` —
  rep and team resolution.
- :mod:`salesops.ingest.report` — the problems and the report; :mod:`~salesops.ingest.write` — the
  all-or-nothing write.
- :mod:`salesops.ingest.imports` — the public calls re-exported here.
"""

from salesops.ingest.imports import (
    import_file,
    import_frame,
    import_history,
    preview,
    validate_file,
    validate_frame,
)
from salesops.ingest.parse import read_csv
from salesops.ingest.presets import PRESET_NAMES, propose_mapping
from salesops.ingest.report import ImportRejected, ImportReport, Problem, format_report, stage_summary
from salesops.ingest.spec import TABLES, BadImportOption, IngestError

__all__ = [
    "PRESET_NAMES",
    "TABLES",
    "BadImportOption",
    "ImportRejected",
    "ImportReport",
    "IngestError",
    "Problem",
    "format_report",
    "import_file",
    "import_frame",
    "import_history",
    "preview",
    "propose_mapping",
    "read_csv",
    "stage_summary",
    "validate_file",
    "validate_frame",
]
