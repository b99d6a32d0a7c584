"""Reading a CSV file a chunk of rows at a time, exactly as :func:`salesops.ingest.parse.read_csv` reads it whole.

:func:`open_csv` looks at the file once (is it text, which encoding, which delimiter) without
holding it in memory: the encoding is proven by decoding the file block by block. Each call of
:meth:`CsvStream.chunks` reads it again from the start and yields frames of at most ``rows`` rows
(text cells plus ``__row__``, the file's line number), so only one chunk is ever in memory. Files
that are not healthy text (binary, undecodable, empty, no header) are read whole by ``read_csv``:
they are rejected anyway, and its report says why.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from salesops.ingest.parse import (
    NO_HEADER,
    ROW,
    ReadProblem,
    ReadState,
    SourceFile,
    cells_frame,
    column_names,
    data_rows,
    footer_notes,
    read_csv,
    sniff_binary,
    sniff_delimiter,
)
from salesops.ingest.spec import BadImportOption

#: Bytes read at a time when proving the encoding.
BLOCK = 1 << 20


@dataclass
class CsvStream:
    """A healthy CSV file, read again from the start by every :meth:`chunks` call."""

    opener: Callable[[], BinaryIO]
    codec: str
    encoding: str  # its name in the report ("UTF-8", "Latin-1 (Windows-1252)" …)
    delimiter: str
    size: int
    #: Set by a complete pass of :meth:`chunks`: ragged rows, then the header's problems.
    problems: tuple[ReadProblem, ...] = ()
    notes: tuple[str, ...] = ()
    header: list[str] | None = field(default=None)

    def _lines(self, text: io.TextIOWrapper) -> Iterator[str]:
        first = True
        for line in text:
            if first:  # read_csv strips leading byte order marks from the text
                line, first = line.lstrip("\ufeff"), False
            yield line

    def chunks(self, rows: int, progress=None) -> Iterator[pd.DataFrame]:
        """Frames of at most ``rows`` data rows, in file order; always at least one (maybe empty)."""
        problems: list[ReadProblem] = []
        state = ReadState()
        with self.opener() as raw, io.TextIOWrapper(raw, encoding=self.codec, newline="") as text:
            reader = csv.reader(self._lines(text), delimiter=self.delimiter)
            cells: list[list[str]] = []
            numbers: list[int] = []
            names: list[str] | None = None
            yielded = False
            for record, line in data_rows(reader, self.delimiter, problems, state):
                cells.append(record)
                numbers.append(line)
                if len(cells) == rows:
                    names = names or column_names(state.header or [])[0]
                    yield cells_frame(names, cells, numbers)
                    yielded = True
                    cells, numbers = [], []
                    if progress is not None:
                        progress(min(raw.tell() / max(self.size, 1), 1.0), f"read to line {line:,}")
            self.header = state.header
            names, bad_header = column_names(state.header or [])
            self.problems = (*problems, *bad_header)
            self.notes = footer_notes(state)
            if cells or not yielded:
                yield cells_frame(names, cells, numbers)

    def source_file(self, frame: pd.DataFrame) -> SourceFile:
        """The whole file as ``read_csv`` gives it, when ``frame`` holds all its rows (one chunk)."""
        if self.header is None:  # only separators, quotes and blank lines
            return SourceFile(
                pd.DataFrame({ROW: []}), self.encoding, self.delimiter, (ReadProblem("empty_file", NO_HEADER),)
            )
        problems = list(self.problems)
        if frame.empty and not problems:
            problems.append(ReadProblem("no_rows", "the file has a header but no data rows", None, ""))
        return SourceFile(frame, self.encoding, self.delimiter, tuple(problems), self.notes)


def open_csv(data: bytes | str | Path) -> CsvStream | SourceFile:
    """A :class:`CsvStream` over a healthy text file, else the file read whole (``read_csv``).

    ``data`` is a path or the file's bytes. Raises BadImportOption when the path cannot be read.
    """
    if isinstance(data, (str, Path)):
        path = Path(data)
        try:
            size = path.stat().st_size
            with path.open("rb") as f:
                head = f.read(4096)
        except OSError as exc:
            raise BadImportOption(f"Cannot read {path}: {exc.strerror}.", "Check the file's path.") from exc

        def opener() -> BinaryIO:
            return path.open("rb")

    else:
        raw_bytes, size, head = data, len(data), data[:4096]

        def opener() -> BinaryIO:
            return io.BytesIO(raw_bytes)

    if sniff_binary(head if not head.startswith(b"PK") else _whole(opener)):
        return read_csv(_whole(opener))
    found = _encoding(opener, head)
    if found is None:
        return read_csv(_whole(opener))  # undecodable: read_csv says where
    codec, name = found
    first = _first_line(opener, codec)
    if first is None:
        return read_csv(_whole(opener))  # empty or blank: read_csv says so
    stream = CsvStream(opener, codec, name, sniff_delimiter(first), size)
    return stream


def _whole(opener: Callable[[], BinaryIO]) -> bytes:
    with opener() as f:
        return f.read()


def _encoding(opener: Callable[[], BinaryIO], head: bytes) -> tuple[str, str] | None:
    """(codec, name) as :func:`salesops.ingest.parse.decode` would choose; None if it cannot decode."""
    if head.startswith(codecs.BOM_UTF8):
        candidates = [("utf-8-sig", "UTF-8 with BOM")]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = [("utf-16", "UTF-16")]
    elif len(head) >= 4 and head.count(0) >= len(head) // 4:
        candidates = [("utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be", "UTF-16")]
    else:
        candidates = [("utf-8", "UTF-8"), ("cp1252", "Latin-1 (Windows-1252)"), ("latin-1", "Latin-1")]
    for codec, name in candidates:
        decoder = codecs.getincrementaldecoder(codec)()
        try:
            with opener() as f:
                while block := f.read(BLOCK):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return codec, name
    return None


def _first_line(opener: Callable[[], BinaryIO], codec: str) -> str | None:
    """The text up to the first newline (what read_csv sniffs the delimiter on); None for a blank file."""
    first: str | None = None
    buf = ""
    seen_text = False
    with opener() as raw, io.TextIOWrapper(raw, encoding=codec, newline="") as text:
        while block := text.read(65536):
            if first is None:
                buf += block
                lead = buf.lstrip("\ufeff")
                if "\n" in lead:
                    first = lead.split("\n", 1)[0]
                seen_text = seen_text or bool(lead.strip())
            else:
                seen_text = seen_text or bool(block.strip())
            if first is not None and seen_text:
                break
    if not seen_text:
        return None
    return first if first is not None else buf.lstrip("\ufeff")
