"""Demo tool surveys: three rounds, their invites and anonymous answers (the dialer gets worse)."""

from __future__ import annotations

import json
import secrets
from datetime import date, timedelta

import numpy as np
import pandas as pd

from salesops.demo.org import DISLIKED_TOOL

TOOLS = (
    ("crm", "CRM", "CRM"),
    ("email", "Email platform", "Email"),
    ("dialer", "Dialer", "Dialer"),
    ("engagement", "Sales engagement", "Engagement"),
    ("video", "Video meetings", "Meetings"),
    ("cpq", "CPQ / quoting", "Quoting"),
)

LIKES = {
    "crm": ["single view of the account", "good reports", "pipeline view is clear", "mobile app works"],
    "email": ["templates save time", "tracking opens", "easy to schedule", "clean inbox integration"],
    "dialer": ["click to call", "local presence numbers", "call recording"],
    "engagement": ["sequences save time", "task list keeps me on track", "good templates"],
    "video": ["reliable calls", "easy screen share", "recording and transcripts"],
    "cpq": ["quotes look professional", "approval flow is clear", "pricing rules are right"],
}
DISLIKES = {
    "crm": ["too many required fields", "slow to load", "duplicate accounts", "reports are hard to build"],
    "email": ["sync breaks sometimes", "templates are hard to find", "tracking is unreliable"],
    "dialer": [
        "calls drop all the time",
        "slow to connect",
        "call quality is poor",
        "does not log calls to the crm",
        "calls drop and it is slow to connect",
    ],
    "engagement": ["too many steps to set up a sequence", "duplicate tasks", "sync with crm is slow"],
    "video": ["audio lags sometimes", "too many logins"],
    "cpq": ["slow to build a quote", "discount approvals take too long", "too many clicks"],
}


def build_surveys(rng, reps: pd.DataFrame, today: date):
    """Three survey rounds with invites (all used or not) and anonymous answers per tool."""
    rounds, invites, answers = [], [], []
    base = {"crm": 3.9, "email": 4.1, "dialer": 2.8, "engagement": 3.7, "video": 4.3, "cpq": 3.5}
    tool_ids = [t[0] for t in TOOLS]
    for r, days_ago in enumerate((400, 220, 40)):
        opens = today - timedelta(days=days_ago)
        closes = opens + timedelta(days=21)
        rid = f"{opens:%Y}-{'H1' if opens.month <= 6 else 'H2'}"
        rounds.append(
            dict(
                round_id=rid,
                name=f"Tool survey {opens:%B %Y}",
                opens_on=opens,
                closes_on=closes,
                tool_ids=json.dumps(tool_ids),
                anonymous=True,
            )
        )
        current = reps[pd.to_datetime(reps["hire_date"]) <= pd.Timestamp(opens)]
        answered = rng.random(len(current)) < 0.72
        for rep, did in zip(current.itertuples(), answered):
            # The link is a secret: random from the OS, never derived from the seed (so a demo link
            # cannot be recomputed). The seeded draw is kept, and dropped, so every other row stays
            # as it was for the seed.
            rng.integers(0, 16**12)
            token = secrets.token_urlsafe(16)
            invites.append(dict(token=token, round_id=rid, rep_id=None, team_id=rep.team_id, used=bool(did)))
            if not did:
                continue
            submitted = opens + timedelta(days=int(rng.integers(0, 21)))
            for tool in tool_ids:
                mean = base[tool] - (0.35 * r if tool == DISLIKED_TOOL else 0.05 * r * (tool == "crm"))
                sat = int(np.clip(np.round(rng.normal(mean, 0.8)), 1, 5))
                ease = int(np.clip(np.round(rng.normal(mean + 0.1, 0.8)), 1, 5))
                rec = int(np.clip(np.round(rng.normal(mean * 2 - 0.5, 1.6)), 0, 10))
                answers.append(
                    dict(
                        round_id=rid,
                        tool_id=tool,
                        team_id=rep.team_id,
                        satisfaction=sat,
                        ease=ease,
                        recommend=rec,
                        usage=str(rng.choice(["daily", "daily", "weekly", "monthly", "rarely"])),
                        likes=str(rng.choice(LIKES[tool])) if rng.random() < 0.6 else "",
                        dislikes=str(rng.choice(DISLIKES[tool]))
                        if rng.random() < (0.85 if tool == DISLIKED_TOOL else 0.4)
                        else "",
                        submitted_on=submitted,
                    )
                )
    ans = pd.DataFrame(answers)
    # Answers are stored in a shuffled order with random ids: nothing links them to an invite.
    ans = ans.sample(frac=1.0, random_state=int(rng.integers(0, 2**31))).reset_index(drop=True)
    ans["response_id"] = [f"S{rng.integers(0, 16**12):012x}" for _ in range(len(ans))]
    return pd.DataFrame(rounds), pd.DataFrame(invites), ans
