"""Comment themes: frequent words and phrases across a round's likes or dislikes, with examples.

A group's comments are shown only from ``MIN_COMMENTS`` comments on (docs/TOOLS.md).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesops import store
from salesops.tools.rounds import load_tools
from salesops.tools.survey import MIN_COMMENTS, InvalidAnswer

STOPWORDS = frozenset(
    """
    a about above after again all also am an and any are as at be because been before being below
    between both but by can cannot could did do does doing don't down during each few for from
    further get gets got had has have having he her here hers him his how i i'm if in into is it
    it's its itself just me more most much my no nor not of off on once only or other our ours out
    over own really same she should so some such than that the their theirs them then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours lot lots thing things one sometimes always often time times
    """.split()
)
_WORD = re.compile(r"[a-z0-9][a-z0-9'+-]*")


def _terms(comment: str) -> set[str]:
    """Words and phrases (2–3 words) of a comment that neither start nor end with a stopword."""
    words = _WORD.findall(comment.lower())
    out: set[str] = set()
    for n in (1, 2, 3):
        for i in range(len(words) - n + 1):
            gram = words[i : i + n]
            if gram[0] in STOPWORDS or gram[-1] in STOPWORDS or (n == 1 and len(gram[0]) < 2):
                continue
            out.add(" ".join(gram))
    return out


def themes(comments: Sequence[str], top: int = 8, examples: int = 3) -> pd.DataFrame:
    """Frequent words and phrases across ``comments`` with example comments.

    Columns: theme, mentions (comments containing it), share (of the comments), examples (up to
    ``examples`` distinct comments, shortest first, joined with " | "). Terms found in exactly the
    same comments are one theme named by the longest of them; a term is dropped when a longer
    kept theme containing it covers at least 60 % of its mentions ("calls drop" is not also
    listed as "calls"). Only terms in 2 or more comments count. Returns an empty frame when
    fewer than MIN_COMMENTS comments are given.
    """
    texts = [c.strip() for c in comments if c and c.strip()]
    return _themes(Counter(texts), top, examples)


def _themes(counts: Mapping[str, int], top: int = 8, examples: int = 3) -> pd.DataFrame:
    """:func:`themes` of comments given as distinct (stripped, non-empty) text -> how many times it was given.

    Identical comments contain the same terms, so each distinct text is split into terms once and
    counts for all its copies (a survey round repeats many short comments).
    """
    cols = ["theme", "mentions", "share", "examples"]
    total = sum(counts.values())
    if total < MIN_COMMENTS:
        return pd.DataFrame(columns=cols)
    texts = list(counts)
    weight = [counts[t] for t in texts]
    where: dict[str, set[int]] = {}
    for i, text in enumerate(texts):
        for term in _terms(text):
            where.setdefault(term, set()).add(i)
    mentions = {term: sum(weight[i] for i in docs) for term, docs in where.items()}
    groups: dict[frozenset[int], str] = {}
    for term, docs in where.items():
        if mentions[term] < 2:
            continue
        key = frozenset(docs)
        best = groups.get(key)
        if best is None or (len(term.split()), best) > (len(best.split()), term):
            groups[key] = term
    kept = {term: group for group, term in groups.items()}
    final: dict[str, frozenset[int]] = {}
    for term, group in kept.items():
        padded = f" {term} "
        if any(other != term and padded in f" {other} " and mentions[other] >= 0.6 * mentions[term] for other in kept):
            continue
        final[term] = group
    ranked = sorted(final.items(), key=lambda kv: (-mentions[kv[0]], -len(kv[0].split()), kv[0]))[:top]
    rows = []
    for term, group in ranked:
        hits = sorted((texts[i] for i in group), key=lambda s: (len(s), s))
        rows.append((term, mentions[term], mentions[term] / total, " | ".join(hits[:examples])))
    return pd.DataFrame(rows, columns=cols)


def _comments(
    engine: Engine, round_id: str, kind: str, tool_id: str | None, team_id: str | None, distinct: bool = False
) -> pd.DataFrame:
    """The round's non-empty comments of ``kind``: tool_id, comment (``distinct``: comment, n = copies)."""
    column = {"likes": "likes", "dislikes": "dislikes"}.get(kind)
    if column is None:
        raise InvalidAnswer(f"Unknown comment kind {kind!r}.", "Use likes or dislikes.")
    select = f"{column} AS comment, COUNT(*) AS n" if distinct else f"tool_id, {column} AS comment"
    sql = sa.text(
        f"""
        SELECT {select} FROM survey_responses
        WHERE round_id = :round AND COALESCE({column}, '') <> ''
          AND (CAST(:tool AS VARCHAR) IS NULL OR tool_id = :tool)
          AND (CAST(:team AS VARCHAR) IS NULL OR team_id = :team)
        {"GROUP BY 1" if distinct else ""}
        """  # noqa: S608 - column comes from the allow-list above; values are bound
    )
    return store.read_frame(engine, sql, {"round": round_id, "tool": tool_id, "team": team_id})


def tool_themes(
    engine: Engine, round_id: str, tool_id: str, kind: str = "dislikes", team_id: str | None = None
) -> pd.DataFrame:
    """:func:`themes` of one tool's likes or dislikes in a round (optionally one team's).

    Empty when the group has fewer than MIN_COMMENTS comments of that kind.
    """
    frame = _comments(engine, round_id, kind, tool_id, team_id, distinct=True)
    counts: Counter[str] = Counter()
    for comment, n in zip(frame["comment"], frame["n"]):
        if comment and comment.strip():
            counts[comment.strip()] += int(n)
    return _themes(counts)


def all_themes(engine: Engine, round_id: str, kind: str = "dislikes", team_id: str | None = None) -> pd.DataFrame:
    """Themes for every tool of a round: tool_id, tool, comments, theme, mentions, share, examples.

    Tools with fewer than MIN_COMMENTS comments of that kind are left out.
    """
    frame = _comments(engine, round_id, kind, None, team_id)
    names = dict(zip(*load_tools(engine)[["tool_id", "name"]].to_dict("list").values()))
    parts = []
    for tool_id, comments in frame.groupby("tool_id")["comment"]:
        th = themes(comments.tolist())
        if len(th):
            parts.append(th.assign(tool_id=tool_id, tool=names.get(tool_id, tool_id), comments=len(comments)))
    cols = ["tool_id", "tool", "comments", "theme", "mentions", "share", "examples"]
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
