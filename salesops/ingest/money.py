"""Amounts: text cells -> exact integer cents, every cell checked once with its reason (docs/IMPORT.md).

The decimal mark is given (``--decimal-mark``) or proven per column, never guessed row by row; a
value that reads two ways with nothing to decide is refused. Common shapes (``$1,234.50``,
``1234.5``) are read vectorised; anything else value by value through :class:`decimal.Decimal`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from salesops.ingest.parse import blank_to_na

#: ISO 4217 codes an amount may carry (the common ones); any other three-letter code is unknown.
CURRENCY_CODES = frozenset(
    "USD EUR GBP JPY CNY INR CHF CAD AUD NZD SEK NOK DKK PLN CZK HUF BRL MXN ZAR SGD HKD KRW ILS AED SAR TRY".split()
)
#: Currency signs an amount may carry.
CURRENCY_SIGNS = "$€£¥₹"
#: The largest amount (currency units) whose cents fit a BIGINT; beyond it a value cannot be stored.
MAX_STORABLE = 92_233_720_368_547_758 // 1  # (2**63 - 1) // 100 cents

_SIGNS_RE = re.compile(f"[{re.escape(CURRENCY_SIGNS)}]")
_CODE_RE = re.compile(r"\b([A-Za-z]{3})\b")
_SPACES = re.compile(r"[\s\u00a0\u202f']")
_NON_FINITE = re.compile(r"^[+-]?(inf|infinity|nan)$", re.IGNORECASE)
_EXPONENT = re.compile(r"^\d+(?:\.\d+)?[eE][+-]?\d+$")
_RANGE = re.compile(r"^\d[\d.,]*\s*(?:-|–|to)\s*\d[\d.,]*$")


@dataclass(frozen=True)
class MoneyColumn:
    values: pd.Series  # Int64 cents
    problems: pd.Series  # str: the problem kind per cell ('' = fine)
    reasons: pd.Series  # str: why, per cell
    notes: tuple[str, ...] = ()


def _grammar(mark: str) -> re.Pattern[str]:
    """A number with ``mark`` as decimal mark and the other as an optional, well-grouped thousands separator."""
    d, t = re.escape(mark), re.escape("," if mark == "." else ".")
    return re.compile(rf"^(?:\d{{1,3}}(?:{t}\d{{3}})+|\d+)(?:{d}(\d+))?$")


def _proven_mark(v: str) -> str:
    """The decimal mark a value proves: '.' or ',' ; '?' when it reads both ways (1.500); '' when it has none."""
    dots, commas = v.count("."), v.count(",")
    if dots and commas:
        return "." if v.rfind(".") > v.rfind(",") else ","
    if not dots and not commas:
        return ""
    mark = "." if dots else ","
    if dots + commas > 1:
        return "," if mark == "." else "."  # 1.234.567: the repeated mark groups thousands
    tail = len(v) - v.rfind(mark) - 1
    return mark if tail != 3 else "?"


_SIGN_CODE = {"€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "$": "$"}


@dataclass(frozen=True)
class _Cell:
    text: str  # digits and marks only, sign removed
    negative: bool = False
    currency: str = ""
    kind: str = ""  # a problem kind found while cleaning
    reason: str = ""


def _clean(raw: str) -> _Cell:
    """Strip currency and sign from one amount; say what is wrong if it cannot be an amount."""
    v = raw.strip()
    if _NON_FINITE.match(v):
        return _Cell("", kind="not_finite", reason="not a finite number")
    currency = ""
    sign = _SIGNS_RE.search(v)
    if sign:
        currency = _SIGN_CODE[sign.group(0)]
        v = _SIGNS_RE.sub("", v)
    for code in _CODE_RE.findall(v):
        if code.upper() in CURRENCY_CODES:
            currency = code.upper() if not currency or currency == "$" else currency
            v = v.replace(code, "")
        elif code.isupper():
            return _Cell(
                "", kind="unknown_currency", reason=f"unknown currency {code} (amounts must be in one known currency)"
            )
    v = _SPACES.sub("", v)
    negative = v.startswith("-") or v.endswith("-") or (v.startswith("(") and v.endswith(")"))
    v = v.strip("-()+")
    if re.fullmatch(r"\d[\d.,]*(?:-|–|to)\d[\d.,]*", v, re.IGNORECASE):
        return _Cell("", kind="range_value", reason="a range, not one amount: give a single value")
    if re.search(r"[^\d.,eE+-]", v) or not re.search(r"\d", v):
        return _Cell(
            "", kind="bad_number", reason="not an amount (digits, an optional . or , and $ € £ or a currency code)"
        )
    return _Cell(v, negative, currency)


def _to_cents(text: str, mark: str) -> tuple[int | None, str, str]:
    """Digits with ``mark`` as decimal mark -> cents (rounded half up), or (None, kind, reason)."""
    if _EXPONENT.match(text):
        value = Decimal(text)
    else:
        m = _grammar(mark).match(text)
        if m is None:
            return None, "bad_number", f"not an amount with {'a decimal point' if mark == '.' else 'a decimal comma'}"
        value = Decimal(text.replace("," if mark == "." else ".", "").replace(",", "."))
    if not value.is_finite():
        return None, "not_finite", "not a finite number"
    if value > MAX_STORABLE:
        return None, "too_large", "too large to store as an amount"
    return int(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100), "", ""


#: Currencies whose locales write a decimal point: their sign proves the mark ($1,500 is 1500).
_POINT_CURRENCIES = frozenset({"$", "USD", "GBP", "JPY", "INR", "CNY", "CAD", "AUD", "NZD", "SGD", "HKD", "KRW", "ILS"})


def _decide_mark(cells: dict[str, _Cell], decimal_mark: str | None) -> tuple[str | None, str | None, dict[str, str]]:
    """(the column's decimal mark or None, the minority mark when values prove both, each value's proof)."""
    proofs = {u: _proven_mark(c.text) for u, c in cells.items() if not c.kind}
    if decimal_mark is not None:
        return decimal_mark, None, proofs
    counted = Counter(p for p in proofs.values() if p in (".", ","))
    if any(c.currency in _POINT_CURRENCIES for c in cells.values()) and "," not in counted:
        counted["."] += 1
    if len(counted) == 2:
        (major, _), (minor, _) = counted.most_common()
        return major, minor, proofs
    return (next(iter(counted)) if counted else None), None, proofs


def _read_cell(u: str, c: _Cell, proof: str, mark: str | None, minor: str | None, explicit: bool, examples: dict):
    """One distinct amount -> (cents or None, problem kind, reason)."""
    if c.kind:
        return None, c.kind, c.reason
    if minor is not None and proof == minor:
        why = f"this column mixes decimal marks ({examples['.']} and {examples[',']}); say which with --decimal-mark . or ,"
        return None, "mixed_decimal_marks", why
    # A lone comma before three digits (1,500) groups thousands unless the column proves a decimal
    # comma: comma-decimal exports write cents (1.500,00). A lone point before three digits (1.500)
    # is 1500 in Europe and 1.5 to a machine: with nothing in the column to tell, it is refused.
    lone_comma = "," in c.text and mark is None
    if proof == "?" and not explicit and not lone_comma and (mark is None or mark in c.text):
        grouped = c.text.replace(",", "").replace(".", "")
        why = f"reads as {int(grouped):,} or {c.text.replace(',', '.')}: say which with --decimal-mark . or ,"
        return None, "ambiguous_money", why
    cents, kind, why = _to_cents(c.text, mark or ".")
    if cents is None:
        return None, kind, why
    return (-cents if c.negative else cents), "", ""


def parse_money(s: pd.Series, decimal_mark: str | None = None) -> MoneyColumn:
    """Amounts in currency units -> integer cents (Int64), every cell checked once with its reason.

    Currency signs ($ € £ ¥ ₹) and known ISO codes (USD, EUR …) are dropped; an unknown code
    (``100 BTC``) is ``unknown_currency``; two currencies in one column ``mixed_currency``.
    '(1,234)' and '-1,234' are negative; ``10-20`` is a ``range_value``; ``inf``/``nan`` are
    ``not_finite``; beyond a BIGINT of cents ``too_large``. The decimal mark is ``decimal_mark``
    ('.' or ','), else proven by the column: ``1.234,56`` proves a comma, ``500.00`` a point, a
    ``$`` a point; a column proving both rejects the minority (``mixed_decimal_marks``); a value
    that reads both ways (``1.500``: one mark, three digits after it) with no proof against it is
    ``ambiguous_money``. Cents are exact (Decimal), rounded half up.
    """
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return _money_from_numbers(s.astype("float64"))
    s = blank_to_na(s)
    uniq = s.dropna().astype("str").unique()
    fast = _fast_money(pd.Series(uniq, dtype="str"), decimal_mark)
    if fast is not None:
        return fast_column(s, fast)
    cells = {u: _clean(u) for u in uniq}
    mark, minor, proofs = _decide_mark(cells, decimal_mark)
    examples = {p: next((u for u, q in proofs.items() if q == p), "") for p in (".", ",")}
    read = {
        u: _read_cell(u, c, proofs.get(u, ""), mark, minor, decimal_mark is not None, examples)
        for u, c in cells.items()
    }
    currencies = Counter(c.currency for c in cells.values() if c.currency)
    if "$" in currencies and {"USD", "CAD", "AUD", "NZD", "SGD", "HKD"} & set(currencies):
        del currencies["$"]  # a $ sign beside one dollar code is that dollar
        cells = {u: (_Cell(c.text, c.negative, "") if c.currency == "$" else c) for u, c in cells.items()}
    if len(currencies) > 1:
        main = currencies.most_common(1)[0][0]
        why = f"this column mixes currencies ({', '.join(sorted(currencies))}); import one currency at a time"
        read.update({u: (None, "mixed_currency", why) for u, c in cells.items() if c.currency and c.currency != main})
    cents = s.map({u: r[0] for u, r in read.items()})
    kinds = s.map({u: r[1] for u, r in read.items()}).fillna("")
    reasons = s.map({u: r[2] for u, r in read.items()}).fillna("")
    notes = []
    if mark == ",":
        notes.append("read with a decimal comma (1.234,56)")
    if len(currencies) == 1:
        notes.append(f"amounts in {next(iter(currencies))}")
    values = pd.Series(cents.astype("object").where(cents.notna(), None).tolist(), index=s.index, dtype="Int64")
    return MoneyColumn(values, kinds, reasons, tuple(notes))


#: The common, unambiguous shapes: optional $ or USD, digits grouped by commas with cents, or plain
#: digits with optional cents. A column made only of these is read vectorised (no per-value Python).
_FAST_MONEY = r"(?:\$|USD ?)?(?:\d{1,3}(?:,\d{3})+\.\d{2}|\d{1,15}(?:\.\d{2})?)"


def _fast_money(u: pd.Series, decimal_mark: str | None) -> pd.Series | None:
    """Cents for every distinct value when all have a common unambiguous shape, else None."""
    if decimal_mark == "," or u.empty or not bool(u.str.fullmatch(_FAST_MONEY).all()):
        return None
    digits = u.str.replace(r"[^\d.]", "", regex=True)
    whole = ~digits.str.contains(".", regex=False)
    cents = pd.to_numeric(digits.str.replace(".", "", regex=False), errors="coerce").astype("int64")
    return pd.Series(np.where(whole, cents * 100, cents), index=u.to_numpy())


def fast_column(s: pd.Series, lookup: pd.Series) -> MoneyColumn:
    """The MoneyColumn of a column read by :func:`_fast_money` (no problems; a currency note for $)."""
    ok = pd.Series("", index=s.index, dtype="str")
    values = s.map(lookup).astype("Int64")
    signs = lookup.index.to_series()
    notes = ("amounts in $",) if bool(signs.str.startswith("$").any()) else ()
    if bool(signs.str.startswith("USD").any()):
        notes = ("amounts in USD",)
    return MoneyColumn(values, ok, ok, notes)


def _money_from_numbers(f: pd.Series) -> MoneyColumn:
    """Already-numeric amounts (a DataFrame import) -> cents, with the same non-finite and size checks."""
    finite = np.isfinite(f.to_numpy()) | f.isna().to_numpy()
    big = (f.abs() > MAX_STORABLE).to_numpy()
    kinds = pd.Series(np.where(~finite, "not_finite", np.where(big, "too_large", "")), index=f.index)
    reasons = kinds.map({"": "", "not_finite": "not a finite number", "too_large": "too large to store as an amount"})
    cents = pd.Series(np.rint(f.where(finite & ~big).to_numpy() * 100), index=f.index).astype("Int64")
    return MoneyColumn(cents, kinds, reasons)
