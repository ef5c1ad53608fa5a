"""The survey instrument (docs/survey.md): the firm's people answer the published questions.

The sources are surveys of CIOs, CMOs and marketers (Accenture Interactive, "The CMO-CIO
Disconnect"; Forrester 2016), so the model answers them. At the survey week each respondent answers
yes or no from what it lived through in the trailing 52 weeks: a *perceived rate* in [0, 1], read
from the experience ledger, the department trusts and the firm's data, is compared with the
respondent's *tolerance*; the answer is yes when the rate exceeds it.

Tolerances come from one Beta distribution per respondent role, with mean ``tolerance_cio``,
``tolerance_cmo`` or ``tolerance_marketer`` and a fixed concentration (three parameters in all), and
a fresh draw per respondent and question. There is no parameter per question, so the instrument
cannot be tuned question by question: the questions differ only in what each respondent perceives.
The firm's three factual questions (growth, margin) use fixed thresholds and no tolerance.

Two classifications are made from collaboration measures only, never from outcomes, and fixed
before any outcome was looked at:

- the CIO *works closely with marketing* when planning is joint, or IT analysts are embedded in
  marketing's leadership team, or at least a quarter of the CIO's work contacts over the year were
  with marketing;
- a marketer is *tech-savvy and collaborating* when their technology skill is at least 0.45 and they
  had at least 26 cross-department work contacts over the year (one a fortnight); otherwise
  *traditional*.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.stats import beta as beta_dist

from sim.errors import UserError
from sim.model.ledger import WINDOW
from sim.model.randomness import stream
from sim.model.work import PRIORITY_CAP

# Weeks a firm must have run before its survey: the trailing year, and a quarter more for the
# year-ago comparisons (relationship improved, growth).
MIN_HISTORY = WINDOW + 13

if TYPE_CHECKING:
    from sim.model.model import Organisation

TOLERANCE_CONCENTRATION = 8.0  # Beta(k m, k (1 - m)): sd about 0.17 at m = 0.5
SUBSTANTIAL_GROWTH = 0.10  # year-over-year revenue growth that counts as substantial
MARGIN_GROWTH = 0.05  # relative growth of the profit margin asked about
CLOSE_CONTACT_SHARE = 0.25  # CIO's share of work contacts with marketing: "works closely"
SAVVY_TECH_SKILL = 0.45
SAVVY_CROSS_CONTACTS = 26.0  # cross-department work contacts a year
PEER_CX = 65.5  # CX index of a traditional peer firm in steady state (measured: 156-week baseline)
PRIOR_WEIGHT = 2.0  # a marketer's own rate is shrunk to the department's by 2 requests


@dataclass(frozen=True)
class Question:
    """One survey question: stable id, who answers it, and its wording."""

    id: str
    respondents: tuple[str, ...]
    text: str


QUESTIONS = (
    Question(
        "need_alignment",
        ("CIO", "CMO"),
        "Is there a greater need for alignment with the other side?",
    ),
    Question("ready_digital", ("CIO", "CMO"), "Is the company ready for a digital future?"),
    Question(
        "promises_without_it",
        ("CIO", "marketers"),
        "Does marketing make promises without IT's agreement?",
    ),
    Question("it_underdelivers", ("CMO",), "Does IT fail to deliver as expected?"),
    Question(
        "poor_requirements", ("CIO",), "Does marketing fail to give adequate business requirements?"
    ),
    Question(
        "ignores_standards",
        ("CIO",),
        "Does marketing use technology without regard to company standards?",
    ),
    Question(
        "relationship_improved", ("CIO", "CMO"), "Has the relationship improved over the past year?"
    ),
    Question("strategic_partners", ("CMO",), "Are the CMO and CIO strategic partners?"),
    Question("low_priority", ("CMO",), "Are marketing's requests a low priority for IT?"),
    Question("integration_struggles", ("marketers",), "Do you struggle with unintegrated systems?"),
    Question("substantial_growth", ("firm",), "Did revenue grow substantially year over year?"),
    Question("margin_growth_5", ("firm",), "Did profit margin grow by more than 5%?"),
    Question(
        "competitive_position",
        ("CIO",),
        "Is the firm in a better competitive position than its peers?",
    ),
)
QUESTION = {q.id: q for q in QUESTIONS}
ITEMS = tuple((q.id, r) for q in QUESTIONS for r in q.respondents)
TOLERANCE_PARAMETER = {
    "CIO": "tolerance_cio",
    "CMO": "tolerance_cmo",
    "marketers": "tolerance_marketer",
}


class SurveyError(UserError, ValueError):
    """The survey cannot be taken yet (too little history)."""


def _ratio(num: float, den: float) -> float:
    return float(np.clip(num / den, 0.0, 1.0)) if den > 0 else 0.0


def respondents(model: Organisation) -> np.ndarray:
    """Staff rows of the marketers who answer: joined marketing staff and hybrids."""
    rows = model.marketing_rows
    return rows[model.staff.joined[rows]]


def perceptions(model: Organisation) -> dict[tuple[str, str], np.ndarray]:
    """The perceived rate in [0, 1] behind each (question, respondent) item; for the firm's factual
    questions, 1.0 for yes and 0.0 for no. Marketers' items hold one rate per marketer.

    Raises:
        SurveyError: fewer than :data:`MIN_HISTORY` weeks of history.
    """
    if len(model.history) < WINDOW + 1 or len(model.accounts.history) < MIN_HISTORY:
        raise SurveyError(
            f"the survey needs at least {MIN_HISTORY} weeks of history; the model has "
            f"run {model.steps}"
        )
    led = model.ledger
    cmo, cio = model.cmo, model.cio
    trailing = {
        ev: led.trailing(ev)
        for ev in (
            "raised",
            "routed_saas",
            "promised_without_it",
            "late",
            "reworked",
            "unmet",
            "violation",
            "delivered",
            "unintegrated_use",
            "contacts",
            "contacts_cross",
        )
    }
    raised = trailing["raised"][cmo]
    it_routed = raised - trailing["routed_saas"][cmo]
    it_delivered = trailing["delivered"][cmo] - trailing["routed_saas"][cmo]
    trust_m_it, trust_it_m, _ = model.history[-1]
    year_ago = model.history[-(WINDOW + 1)]
    maturity = model.data_flow.maturity
    priority = float(np.mean([h[2] for h in list(model.history)[-WINDOW:]]))
    on_time = 1.0 - _ratio(trailing["late"][cmo], it_delivered + trailing["unmet"][cmo])
    cx = model.customer_summary["cx_index"]

    people = respondents(model)
    dept_promises = _ratio(trailing["promised_without_it"][cmo], it_routed)
    own_promised = trailing["promised_without_it"][people]
    own_it = trailing["raised"][people] - trailing["routed_saas"][people]
    promises = (own_promised + PRIOR_WEIGHT * dept_promises) / (own_it + PRIOR_WEIGHT)
    own_silos = 1.0 - np.exp(-trailing["unintegrated_use"][people] / WINDOW)
    struggles = 0.5 * (1.0 - maturity) + 0.5 * own_silos

    growth = model.accounts.revenue_growth()
    margin_now, margin_then = _margins(model)

    items = {
        ("need_alignment", "CIO"): 1.0 - trust_it_m,
        ("need_alignment", "CMO"): 1.0 - trust_m_it,
        ("ready_digital", "CIO"): maturity,
        ("ready_digital", "CMO"): 0.5 * maturity + 0.5 * on_time,
        ("promises_without_it", "CIO"): dept_promises,
        ("promises_without_it", "marketers"): np.clip(promises, 0.0, 1.0),
        ("it_underdelivers", "CMO"): _ratio(
            trailing["late"][cmo] + trailing["reworked"][cmo], it_delivered + trailing["unmet"][cmo]
        ),
        ("poor_requirements", "CIO"): _ratio(trailing["reworked"][cio], it_routed),
        ("ignores_standards", "CIO"): _ratio(trailing["violation"][cio], raised),
        ("relationship_improved", "CIO"): np.clip(0.5 + 2.5 * (trust_it_m - year_ago[1]), 0, 1),
        ("relationship_improved", "CMO"): np.clip(0.5 + 2.5 * (trust_m_it - year_ago[0]), 0, 1),
        ("strategic_partners", "CMO"): np.clip(
            model.cross_trust + (0.25 if model.lever("joint_planning") else 0.0), 0.0, 1.0
        ),
        ("low_priority", "CMO"): 1.0 - priority / PRIORITY_CAP,
        ("integration_struggles", "marketers"): np.clip(struggles, 0.0, 1.0),
        ("substantial_growth", "firm"): float(growth >= SUBSTANTIAL_GROWTH),
        ("margin_growth_5", "firm"): float(
            margin_then > 0 and margin_now / margin_then - 1.0 > MARGIN_GROWTH
        ),
        # Better placed than peers when customers rate it above what the market now expects.
        ("competitive_position", "CIO"): np.clip(
            (cx - model.customers.market_expectation + 10.0) / 20.0, 0.0, 1.0
        ),
    }
    return {key: np.atleast_1d(np.asarray(value, dtype=float)) for key, value in items.items()}


def _margins(model: Organisation, window: int = 13) -> tuple[float, float]:
    """Profit margin of the last ``window`` weeks and of the same weeks a year before."""
    h = list(model.accounts.history)

    def margin(part):
        revenue = sum(x.revenue for x in part)
        return (revenue - sum(x.costs for x in part)) / revenue if revenue > 0 else float("nan")

    return margin(h[-window:]), margin(h[-WINDOW - window : -WINDOW])


def classify(model: Organisation) -> tuple[bool, np.ndarray]:
    """(the CIO works closely with marketing, tech-savvy flag per responding marketer), from
    collaboration measures only."""
    led = model.ledger
    contacts = led.trailing("contacts")
    cross = led.trailing("contacts_cross")
    cio = model.cio
    cio_share = cross[cio] / contacts[cio] if contacts[cio] > 0 else 0.0
    close = bool(
        model.lever("joint_planning")
        or model.embedded_rows.size > 0
        or cio_share >= CLOSE_CONTACT_SHARE
    )
    people = respondents(model)
    savvy = (model.staff.tech_skill[people] >= SAVVY_TECH_SKILL) & (
        cross[people] >= SAVVY_CROSS_CONTACTS
    )
    return close, savvy


def answer(model: Organisation, seed: int | None = None) -> pd.DataFrame:
    """Every respondent's answers, one row per (question, respondent, person).

    Columns: ``question``, ``respondent`` (CIO, CMO, marketers, firm), ``person`` (staff row; -1
    for the firm), ``rate`` (perceived), ``tolerance``, ``yes``, ``close_collaborators`` (the
    firm's classification), ``tech_savvy`` (marketers only; False elsewhere).

    Tolerances are drawn by inverse CDF from a uniform number per respondent and question, taken
    from the model's own ``survey`` stream (or ``seed``): the same firm gives the same answers,
    and a higher mean tolerance raises every respondent's tolerance (a monotone coupling, which
    keeps a calibration's objective smooth). The uniform is kept in column ``u``, so
    :func:`reanswer` can answer again for other tolerances without re-running the firm.
    """
    rng = stream(model.seed if seed is None else seed, "survey", model.steps)
    rates = perceptions(model)
    close, savvy = classify(model)
    people = respondents(model)
    frames = []
    for qid, who in ITEMS:
        rate = rates[(qid, who)]
        u = rng.random(rate.size)
        if who == "firm":
            tolerance = np.full(rate.size, np.nan)
            yes = rate > 0.5
            persons = np.array([-1])
        else:
            tolerance = tolerances(u, getattr(model.p, TOLERANCE_PARAMETER[who]))
            yes = rate > tolerance
            persons = (
                people
                if who == "marketers"
                else np.array([model.cio if who == "CIO" else model.cmo])
            )
        frames.append(
            pd.DataFrame(
                {
                    "question": qid,
                    "respondent": who,
                    "person": persons,
                    "rate": rate,
                    "u": u,
                    "tolerance": tolerance,
                    "yes": yes,
                    "close_collaborators": close,
                    "tech_savvy": savvy if who == "marketers" else False,
                    "firm_cx": model.customer_summary["cx_index"],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def tolerances(u: np.ndarray, mean: float) -> np.ndarray:
    """Tolerances of respondents with uniform draws ``u`` under a role's mean tolerance:
    Beta(k mean, k (1 - mean)) by inverse CDF."""
    k = TOLERANCE_CONCENTRATION
    return beta_dist.ppf(u, k * mean, k * (1.0 - mean))


def reanswer(answers: pd.DataFrame, means: dict[str, float]) -> pd.DataFrame:
    """The same respondents' answers under other mean tolerances (``{"CIO": 0.4, ...}``): only
    the thresholds move, the perceived rates are those the firms produced."""
    out = answers.copy()
    for who, mean in means.items():
        rows = out.respondent == who
        out.loc[rows, "tolerance"] = tolerances(out.loc[rows, "u"].to_numpy(), mean)
        out.loc[rows, "yes"] = out.loc[rows, "rate"] > out.loc[rows, "tolerance"]
    return out


def compare_with_peers(answers: pd.DataFrame) -> pd.DataFrame:
    """Re-answer ``competitive_position`` against the surveyed industry itself: a CIO compares the
    firm's CX index with the median firm's (its peers), not with a fixed anchor. Tolerances are
    kept, so the question stays on the instrument's common footing."""
    out = answers.copy()
    item = out.question == "competitive_position"
    peer = float(out.loc[item, "firm_cx"].median())
    rate = np.clip((out.loc[item, "firm_cx"] - peer + 10.0) / 20.0, 0.0, 1.0)
    out.loc[item, "rate"] = rate
    out.loc[item, "yes"] = rate > out.loc[item, "tolerance"]
    return out
