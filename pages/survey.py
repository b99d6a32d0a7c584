"""Tool survey: the form a survey link (?token=…) opens, and nothing else."""

import streamlit as st

from pages.ui import loaders, shell
from salesops import format as fmt
from salesops import store
from salesops.tools import answers, survey


def link_token() -> str:
    """The link's token: ``?token=…`` in the URL, or ``survey_token`` in the session (tests)."""
    return str(st.query_params.get("token") or st.session_state.get("survey_token") or "").strip()


def submit_answers(engine, token: str, tools: tuple) -> None:
    """Submit button callback: collect the answers from the widgets and store them.

    A callback (not code after the button) so the submission happens exactly once, before the
    script reruns, even when the run is restarted (the router's first-run rerun drops button clicks).
    The outcome is left in session_state: ``survey_done`` (the token) or ``survey_error`` (a message).

    A double click: the second click's rerun interrupts this callback at its next session-state
    access, which can be right after the answers were stored and before ``survey_done`` is written
    (tests/browser/test_survey_form.py saw it). So ``survey_sent`` is written *before* storing,
    and "already used" for a link this session sent means the first click stored it: thank you.
    """
    sent_before = st.session_state.get("survey_sent") == token
    if st.session_state.get("survey_done") == token:
        return  # a double click: the first click stored the answers; the page says thank you
    given, missing = [], []
    for tool in tools:
        if st.session_state.get(f"survey_skip_{tool.tool_id}"):
            continue
        values = {n: st.session_state.get(f"survey_{n}_{tool.tool_id}") for n in ("sat", "ease", "rec", "usage")}
        gaps = [label for n, label in LABELS.items() if values[n] is None]
        if gaps:
            missing.append(f"{fmt.md_escape(tool.name)}: {', '.join(gaps)}")
            continue
        given.append(
            survey.Answer(
                tool.tool_id,
                values["sat"],
                values["ease"],
                values["rec"],
                values["usage"],
                st.session_state.get(f"survey_likes_{tool.tool_id}", ""),
                st.session_state.get(f"survey_dislikes_{tool.tool_id}", ""),
            )
        )
    if missing:
        st.session_state["survey_error"] = (
            'Please answer every question for each tool you use (or tick "I don\'t use it"). Missing — '
            + "; ".join(missing)
        )
        return
    st.session_state["survey_sent"] = token  # before the store: see the docstring
    try:
        answers.submit(engine, token, given)
    except survey.SurveyError as exc:
        if sent_before and isinstance(exc, survey.LinkAlreadyUsed):
            st.session_state["survey_done"] = token  # this session's first click stored the answers
        else:
            st.session_state["survey_error"] = fmt.md_escape(f"{exc.message} {exc.hint}")
    except Exception as exc:  # a damaged or lost store: one sentence, never SQL
        err = store.explain_error(exc)
        if err is None:
            raise
        st.session_state["survey_error"] = fmt.md_escape(f"{err.message} {err.hint}")
    else:
        st.session_state["survey_done"] = token


LABELS = {"sat": "satisfaction", "ease": "ease", "rec": "recommend", "usage": "usage"}
SCALE5 = [1, 2, 3, 4, 5]
SCALE10 = list(range(11))

shell.configure("Tool survey")
token = link_token()
engine = loaders.engine()
st.title("Tool survey")


def thank_you() -> None:
    st.success(
        "Thank you — your answers are in. They are stored without your name; only your team is kept, "
        "and results are shown only for groups of 5 answers or more.",
        icon=":material/check_circle:",
    )
    st.stop()


if token and st.session_state.get("survey_done") == token:
    thank_you()

try:
    form = answers.form_for_token(engine, token)
except survey.SurveyError as exc:
    if token and isinstance(exc, survey.LinkAlreadyUsed) and st.session_state.get("survey_sent") == token:
        thank_you()  # a click stored the answers, and a rerun interrupted it before survey_done was written
    st.warning(fmt.md_escape(f"{exc.message} {exc.hint}"), icon=":material/link_off:")
    st.stop()
except Exception as exc:  # a damaged or lost store: one sentence, never SQL
    loaders.stop_on_store_error(exc)
    raise

st.caption(
    f"{fmt.md_escape(form.round_name)} · open until {form.closes_on:%d %b %Y} · anonymous: your answers are stored with your "
    "team but never your name, and this link works once."
)

with st.form("survey_form"):
    for tool in form.tools:
        st.subheader(fmt.md_escape(tool.name), divider="gray")
        st.checkbox(f"I don't use {fmt.md_escape(tool.name)}", key=f"survey_skip_{tool.tool_id}")
        c1, c2 = st.columns(2)
        c1.radio(
            "Satisfaction (1 = very dissatisfied, 5 = very satisfied)",
            SCALE5,
            index=None,
            horizontal=True,
            key=f"survey_sat_{tool.tool_id}",
        )
        c2.radio(
            "Ease of use (1 = very hard, 5 = very easy)",
            SCALE5,
            index=None,
            horizontal=True,
            key=f"survey_ease_{tool.tool_id}",
        )
        st.radio(
            "How likely would you recommend it to a colleague? (0 = not at all, 10 = extremely likely)",
            SCALE10,
            index=None,
            horizontal=True,
            key=f"survey_rec_{tool.tool_id}",
        )
        st.radio(
            "How often do you use it?", survey.USAGE, index=None, horizontal=True, key=f"survey_usage_{tool.tool_id}"
        )
        c3, c4 = st.columns(2)
        c3.text_area(
            "What do you like about it?", max_chars=survey.MAX_TEXT, key=f"survey_likes_{tool.tool_id}", height=90
        )
        c4.text_area(
            "What do you dislike about it?", max_chars=survey.MAX_TEXT, key=f"survey_dislikes_{tool.tool_id}", height=90
        )
    st.form_submit_button(
        "Submit answers",
        type="primary",
        key="survey_submit",
        icon=":material/send:",
        on_click=submit_answers,
        args=(engine, token, form.tools),
    )

error = st.session_state.pop("survey_error", None)
if error:
    st.error(error, icon=":material/error:")  # escaped where it was written
