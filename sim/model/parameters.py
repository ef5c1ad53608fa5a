"""Every parameter of the model in one frozen dataclass, with units, ranges, defaults and evidence.

The defaults describe a *traditional* firm (docs/model.md: levers): no lever pulled, departments on
separate floors, heavy IT governance, SaaS forbidden on paper but bought around IT anyway.

Scenario files, CLI ``--set`` flags and browser sliders are all generated from or checked against
:data:`SPECS`, so a default can never drift between them (STYLE.md, point 2).
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.errors import UserError

SAAS_POLICIES = ("forbid", "guidelines", "laissez-faire")
KPI_WEIGHTS = ("speed", "reliability", "cost", "cx")  # the columns of a KPI mix (agents.KPI_NAMES)
OFFICE_LAYOUTS = ("same_floor", "separate_floors", "separate_buildings")


class ParameterError(UserError, ValueError):
    """A parameter has an unknown name, a wrong type or a value outside its allowed range."""


def _p(
    default: Any,
    lo: Any = None,
    hi: Any = None,
    *,
    unit: str = "",
    group: str,
    doc: str,
    choices: tuple[str, ...] | None = None,
) -> Any:
    """Declare one parameter: its default, allowed range or choices, unit, group and meaning."""
    meta = {"range": (lo, hi), "unit": unit, "group": group, "doc": doc, "choices": choices}
    return field(default=default, metadata=meta)


LEVER = "lever"
START = "lever start"
ENV = "environment"
STRUCT = "structure"
BEHAV = "behaviour"
SURVEY = "survey"


@dataclass(frozen=True)
class Parameters:
    """The complete, validated parameter set of one firm.

    Groups: ``structure`` (sizes, office), ``lever`` (docs/model.md: levers, each with a
    ``<lever>_start`` week), ``environment`` (the market), ``behaviour`` (mechanism constants with
    evidence, the candidates for calibration). Each field's metadata holds its range, unit and doc.
    """

    # --- structure -------------------------------------------------------------------------------
    n_marketers: int = _p(
        30, 1, 2000, unit="people", group=STRUCT, doc="Marketing staff, not counting the CMO."
    )
    n_technologists: int = _p(
        30, 1, 2000, unit="people", group=STRUCT, doc="IT staff, not counting the CIO."
    )
    n_customers: int = _p(
        10_000, 100, 2_000_000, unit="customers", group=STRUCT, doc="Active customers at week 0."
    )
    offering_lead: float = _p(
        0.0,
        -30.0,
        30.0,
        unit="experience points",
        group=STRUCT,
        doc="How far the firm's offering stands above (or below) its market's at week 0, from "
        "what it built before: brand, product, stores, service. It is permanent (the delivered "
        "lead of the Offering is what ages) and the firm starts in balance at it, so firms that "
        "differ in it differ in CX level, not in growth.",
    )
    start_maturity: float = _p(
        0.70,
        0.0,
        1.0,
        unit="share",
        group=STRUCT,
        doc="Data maturity at week 0: where a traditional firm's integrated deliveries, silos and "
        "debt balance at the defaults (measured over weeks 260-520 of 4 seeds: 0.70; "
        "docs/model.md, the starting state).",
    )
    start_debt: float = _p(
        58.0,
        0.0,
        200.0,
        unit="silo units",
        group=STRUCT,
        doc="Integration debt at week 0: a traditional firm's long-run debt at the defaults "
        "(measured as start_maturity is; docs/model.md, the starting state).",
    )
    weeks: int = _p(
        156,
        1,
        1040,
        unit="weeks",
        group=STRUCT,
        doc="Default horizon of Organisation.run(); one step is one week.",
    )
    office_layout: str = _p(
        "separate_floors",
        group=STRUCT,
        choices=OFFICE_LAYOUTS,
        doc="Where the departments sit: one floor, two floors of one "
        "building (traditional), or two buildings.",
    )

    # --- levers (docs/model.md: levers)
    shared_metrics: float = _p(
        0.0,
        0.0,
        1.0,
        unit="weight",
        group=LEVER,
        doc="Weight of the shared customer-experience metric in both "
        "departments' KPI mix (0 = each judged on its own metrics).",
    )
    colocation: float = _p(
        0.0,
        0.0,
        1.0,
        unit="share",
        group=LEVER,
        doc="Share of IT desks moved beside marketing desks.",
    )
    hybrid_hires: int = _p(
        0,
        0,
        500,
        unit="people",
        group=LEVER,
        doc="Hybrid marketing-technology staff hired into marketing "
        "(paid a premium, see hybrid_premium).",
    )
    embedded_analysts: int = _p(
        0,
        0,
        100,
        unit="people",
        group=LEVER,
        doc="IT business analysts seated with and meeting in "
        "marketing's leadership team (taken from IT's staff).",
    )
    shared_glossary: bool = _p(
        False,
        group=LEVER,
        doc="A shared glossary: raises the floor of fluency and removes "
        "the worst misunderstandings.",
    )
    cross_training: float = _p(
        0.0,
        0.0,
        40.0,
        unit="hours/person/month",
        group=LEVER,
        doc="Cross-training in the other department's field.",
    )
    joint_occasions: float = _p(
        0.0,
        0.0,
        8.0,
        unit="per month",
        group=LEVER,
        doc="Joint lunches and customer visits: random cross-department encounters.",
    )
    joint_planning: bool = _p(
        False, group=LEVER, doc="CMO and CIO plan and fund the roadmap together."
    )
    it_involved_early: bool = _p(
        False, group=LEVER, doc="IT joins initiatives at the idea stage, not at hand-over."
    )
    governance_agility: float = _p(
        0.0,
        0.0,
        1.0,
        unit="share",
        group=LEVER,
        doc="Lightness of IT governance for low-risk work "
        "(0 = every change through the full approval process).",
    )
    saas_policy: str = _p(
        "forbid",
        group=LEVER,
        choices=SAAS_POLICIES,
        doc="Marketing's own SaaS purchases: forbidden (bought anyway, hidden), "
        "allowed under standards and guidelines, or left alone.",
    )
    remote_share: float = _p(
        0.0,
        0.0,
        1.0,
        unit="share of work-weeks",
        group=LEVER,
        doc="Share of work-weeks spent remote.",
    )
    role_rotation: float = _p(
        0.0,
        0.0,
        0.5,
        unit="share of staff",
        group=LEVER,
        doc="Share of marketers and technologists who, with the CMO and the CIO, spend "
        "rotation_weeks a year working in the other department ('a periodic switch in their "
        "roles will bring in better understanding'): they learn its language (marketers also "
        "its technology) and make ties there, at the cost of their own department's output in "
        "those weeks.",
    )

    shared_metrics_start: int = _p(
        0, 0, 1040, unit="week", group=START, doc="Week from which shared_metrics applies."
    )
    colocation_start: int = _p(
        0, 0, 1040, unit="week", group=START, doc="Week in which IT desks move."
    )
    hybrid_hires_start: int = _p(
        0, 0, 1040, unit="week", group=START, doc="Week in which the hybrid hires join."
    )
    embedded_analysts_start: int = _p(
        0, 0, 1040, unit="week", group=START, doc="Week in which the analysts are embedded."
    )
    shared_glossary_start: int = _p(
        0, 0, 1040, unit="week", group=START, doc="Week in which the glossary is published."
    )
    cross_training_start: int = _p(
        0, 0, 1040, unit="week", group=START, doc="Week from which cross-training runs."
    )
    joint_occasions_start: int = _p(
        0, 0, 1040, unit="week", group=START, doc="Week from which joint occasions run."
    )
    joint_planning_start: int = _p(
        0, 0, 1040, unit="week", group=START, doc="Week from which planning is joint."
    )
    it_involved_early_start: int = _p(
        0, 0, 1040, unit="week", group=START, doc="Week from which IT is involved early."
    )
    governance_agility_start: int = _p(
        0, 0, 1040, unit="week", group=START, doc="Week from which the lighter governance applies."
    )
    saas_policy_start: int = _p(
        0, 0, 1040, unit="week", group=START, doc="Week from which the SaaS policy applies."
    )
    remote_share_start: int = _p(
        0, 0, 1040, unit="week", group=START, doc="Week from which remote work applies."
    )
    role_rotation_start: int = _p(
        0, 0, 1040, unit="week", group=START, doc="Week from which staff rotate."
    )

    # --- environment
    expectation_drift: float = _p(
        2.5,
        0.0,
        20.0,
        unit="index points/year",
        group=ENV,
        doc="How far the industry's offering, and with it customers' bar, rises a year: a firm "
        "delivering at delivery_reference keeps pace, one that delivers nothing falls behind "
        "by this much experience. 2.5 makes a firm that stops delivering lose 3.4 CX points a "
        "year (6 seeds, weeks 52-156), against 3-4 in the Forrester CX Index 2022-2024 "
        "(checked, not fitted: delivery_stop_week runs, docs/model.md).",
    )
    feature_ageing: float = _p(
        0.0015,
        0.0,
        0.1,
        unit="1/week",
        group=ENV,
        doc="Weekly share of a firm's lead (or lag) over its market that is lost as features "
        "age and competitors copy them: 0.0015 is a half-life of about 9 years, so a lead "
        "built in three years mostly stays (an assumption; no source measures it).",
    )
    delivery_stop_week: int = _p(
        0,
        0,
        1040,
        unit="week",
        group=ENV,
        doc="Week from which the firm delivers nothing new (0 = never); "
        "a stress test for rising expectations.",
    )
    market_level: float = _p(
        70.0,
        0.0,
        100.0,
        unit="index points",
        group=ENV,
        doc="Experience level of the firm's market (the industry's offering) on the 0-100 "
        "experience scale: what a firm level with its market offers at the starting data "
        "maturity, and where customers' expectations are pulled (the offering is kept relative "
        "to the market, so the level stays put while the market rises). 70 puts a default "
        "firm's CX index at about 65.6 at set-up (assumption).",
    )

    # --- behaviour: contacts and ties (docs/model.md: office and contacts) ----------------------
    contact_p0: float = _p(
        0.5,
        0.0,
        1.0,
        unit="probability/week",
        group=BEHAV,
        doc="Weekly chance that two people at distance 0 on one floor talk "
        "(intercept of the Allen curve).",
    )
    allen_lambda_m: float = _p(
        13.0,
        2.0,
        50.0,
        unit="m",
        group=BEHAV,
        doc="Decay length of the Allen curve; 13 m gives the 4:1 contact "
        "ratio between 2 m and 20 m (Allen 1977; Waber et al. 2014).",
    )
    desk_pitch_m: float = _p(
        2.0,
        0.5,
        10.0,
        unit="m",
        group=BEHAV,
        doc="Distance between neighbouring desks of the office grid, which turns desk "
        "positions into the distances of the Allen curve (geometry; assumption: an open-plan "
        "desk and its share of the aisle).",
    )
    floor_factor: float = _p(
        0.15,
        0.0,
        1.0,
        unit="multiplier",
        group=BEHAV,
        doc="Contact multiplier between floors of one building "
        "(Allen 1977: a floor separates almost as much as a building).",
    )
    building_factor: float = _p(
        0.03, 0.0, 1.0, unit="multiplier", group=BEHAV, doc="Contact multiplier between buildings."
    )
    remote_cross_factor: float = _p(
        0.72,
        0.0,
        1.0,
        unit="multiplier",
        group=BEHAV,
        doc="Chance that a cross-department contact still happens "
        "when either side works remotely that week; remote work "
        "silos collaboration (Yang et al. 2022: fully remote, "
        "about -25% cross-group share).",
    )
    contact_trust_floor: float = _p(
        0.4,
        0.0,
        1.0,
        unit="probability",
        group=BEHAV,
        doc="Trust factor of keeping a cross-department contact when the departments do not "
        "trust each other at all; it rises linearly to 1 at full trust (people avoid those "
        "they distrust; assumption).",
    )
    contact_fluency_floor: float = _p(
        0.4,
        0.0,
        1.0,
        unit="probability",
        group=BEHAV,
        doc="Fluency factor of keeping a cross-department contact when the pair shares none of "
        "each other's language; it rises linearly to 1 at full fluency (people avoid those "
        "they cannot follow; assumption).",
    )
    tie_gain: float = _p(
        0.15,
        0.0,
        1.0,
        unit="strength/contact",
        group=BEHAV,
        doc="Tie strength gained per work contact (diminishing towards 1).",
    )
    tie_decay: float = _p(
        0.005,
        0.0,
        0.2,
        unit="share/week",
        group=BEHAV,
        doc="Weekly fade of tie strength, whatever the distance "
        "(Catalini 2018: separation did not end collaboration).",
    )
    tie_capacity: float = _p(
        10.0,
        1.0,
        200.0,
        unit="strength units/person",
        group=BEHAV,
        doc="Tie strength a person keeps up before ties compete for her time and fade faster "
        "(people keep about 5 close and 15 good relationships: Hill and Dunbar 2003; "
        "assumption for work ties).",
    )
    tie_threshold: float = _p(
        0.2,
        0.0,
        1.0,
        unit="strength",
        group=BEHAV,
        doc="Tie strength from which a pair counts as a tie (about two contacts): the ties a "
        "requester asks among, and the tie counts of the outcomes and the network graph "
        "(assumption).",
    )
    tie_worth_weeks: float = _p(
        4.0,
        0.0,
        52.0,
        unit="weeks",
        group=BEHAV,
        doc="Weeks of extra queue a requester accepts to work with a technologist she has a "
        "full-strength, trusted tie with (less for a weaker or less trusted tie): complex "
        "knowledge travels best over strong ties (Hansen 1999), but not at any wait "
        "(assumption: about a month).",
    )
    occasion_gain_share: float = _p(
        0.3,
        0.0,
        1.0,
        unit="multiplier",
        group=BEHAV,
        doc="Tie gain of a social encounter relative to a work "
        "contact (Kahn 1996: interaction is not collaboration).",
    )

    occasion_attendance: float = _p(
        0.5,
        0.0,
        1.0,
        unit="probability",
        group=BEHAV,
        doc="Chance that a person present that week attends a joint lunch or customer visit "
        "(assumption).",
    )
    occasion_encounters: int = _p(
        2,
        0,
        50,
        unit="people/attendee",
        group=BEHAV,
        doc="IT attendees each marketing attendee talks to at a joint occasion, drawn with "
        "replacement (assumption).",
    )

    # --- behaviour: knowledge and trust (section 5) --------------------------------------------
    fluency_gain: float = _p(
        0.006,
        0.0,
        0.5,
        unit="per cross contact",
        group=BEHAV,
        doc="Fluency learned from one cross-department work contact, scaled by "
        "(1 - fluency): absorptive capacity (Cohen and Levinthal 1990).",
    )
    fluency_decay: float = _p(
        0.012,
        0.0,
        0.1,
        unit="share/week",
        group=BEHAV,
        doc="Weekly forgetting of the other department's language.",
    )
    training_gain: float = _p(
        0.01,
        0.0,
        0.2,
        unit="per training hour",
        group=BEHAV,
        doc="Fluency learned per hour of cross-training, scaled by (1 - fluency).",
    )
    training_skill_pace: float = _p(
        0.5,
        0.0,
        2.0,
        unit="multiplier",
        group=BEHAV,
        doc="Pace at which cross-training teaches marketers technology, relative to the pace "
        "at which it teaches the other department's language (training_gain) (assumption: "
        "half).",
    )
    glossary_floor: float = _p(
        0.35,
        0.0,
        1.0,
        unit="fluency",
        group=BEHAV,
        doc="Fluency floor that the shared glossary guarantees.",
    )
    trust_memory: float = _p(
        0.97,
        0.5,
        1.0,
        unit="per week",
        group=BEHAV,
        doc="Weekly fade g of old outcomes in the Beta reputation.",
    )
    failure_weight: float = _p(
        2.25,
        1.0,
        4.0,
        unit="successes",
        group=BEHAV,
        doc="Weight k of a failure against a success (Slovic 1993; loss aversion about 2.25).",
    )
    trust_prior_successes: float = _p(
        2.0,
        0.0,
        50.0,
        unit="successes",
        group=BEHAV,
        doc="Prior successes r0 of each department's trust in the other at week 0 (trust = "
        "(r + 1) / (r + s + 2)); with trust_prior_failures, a traditional firm's trust leans to "
        "distrust: 0.375 (assumption).",
    )
    trust_prior_failures: float = _p(
        4.0,
        0.0,
        50.0,
        unit="failures",
        group=BEHAV,
        doc="Prior failure evidence s0 of each department's trust in the other at week 0 "
        "(assumption).",
    )

    # --- behaviour: work (section 6) -----------------------------------------------------------
    request_rate: float = _p(
        0.25,
        0.0,
        5.0,
        unit="requests/marketer/week",
        group=BEHAV,
        doc="Customer-facing requests raised by each marketer.",
    )
    it_capacity: float = _p(
        2.0,
        0.05,
        10.0,
        unit="effort units/person/week",
        group=BEHAV,
        doc="Weekly effort of one technologist at full skill.",
    )
    marketing_priority: float = _p(
        0.3,
        0.0,
        1.0,
        unit="share",
        group=BEHAV,
        doc="Share of IT effort that goes to marketing's requests in a "
        "traditional firm (the rest is run, reliability and cost).",
    )
    saas_propensity: float = _p(
        -1.2,
        -5.0,
        5.0,
        unit="logit",
        group=BEHAV,
        doc="Intercept of marketing's choice to buy SaaS around IT.",
    )
    promise_propensity: float = _p(
        0.6,
        0.0,
        1.0,
        unit="probability",
        group=BEHAV,
        doc="Chance that marketing commits a date to the business "
        "without IT's agreement, in a traditional firm.",
    )
    misunderstanding: float = _p(
        0.8,
        0.0,
        1.0,
        unit="probability",
        group=BEHAV,
        doc="Chance that a complex request between two people with no "
        "shared language is misunderstood.",
    )
    low_risk_complexity: float = _p(
        0.5,
        0.0,
        1.0,
        unit="complexity",
        group=BEHAV,
        doc="Complexity below which a request counts as low-risk work, which governance_agility "
        "lightens (assumption: the easier half of requests).",
    )

    rotation_weeks: float = _p(
        4.0,
        1.0,
        26.0,
        unit="weeks/year",
        group=BEHAV,
        doc="Weeks a year a rotating person works in the other department (assumption: a "
        "month, staggered across the year so that a department never loses many at once).",
    )
    rotation_contacts: float = _p(
        5.0,
        0.0,
        50.0,
        unit="contacts/week",
        group=BEHAV,
        doc="Work contacts a week with the other department's people while rotated: a person "
        "seated and working among them (assumption: about one a working day).",
    )
    rotation_skill_gain: float = _p(
        0.03,
        0.0,
        0.5,
        unit="share of the gap/week",
        group=BEHAV,
        doc="Share of the gap to full technology skill a rotated marketer closes by each week "
        "of working in IT (diminishing returns, as for cross-training; assumption).",
    )

    # --- behaviour: requirements and routing (docs/model.md: work) -----------------------------
    bridge_clarity: float = _p(
        0.6,
        0.0,
        1.0,
        unit="multiplier",
        group=BEHAV,
        doc="Chance of a misunderstanding with a hybrid or embedded analyst taking part in the "
        "requirements, relative to none (they translate; assumption).",
    )
    early_clarity: float = _p(
        0.7,
        0.0,
        1.0,
        unit="multiplier",
        group=BEHAV,
        doc="Chance of a misunderstanding when IT is involved at the idea stage, relative to a "
        "hand-over (assumption).",
    )
    requester_skill_clarity: float = _p(
        0.5,
        0.0,
        1.0,
        unit="per unit skill",
        group=BEHAV,
        doc="Share of misunderstandings a requester's technology skill prevents at full skill.",
    )
    tie_clarity: float = _p(
        0.6,
        0.0,
        1.0,
        unit="per unit strength x complexity",
        group=BEHAV,
        doc="Share of misunderstandings a full-strength tie prevents on the most complex "
        "request: complex knowledge needs strong ties (Hansen 1999).",
    )
    saas_delay_weight: float = _p(
        1.2,
        0.0,
        10.0,
        unit="logit per 6 weeks",
        group=BEHAV,
        doc="Weight of IT's expected delay (per 6 weeks beyond 6) in marketing's choice to buy "
        "SaaS around IT.",
    )
    saas_speed_weight: float = _p(
        3.0,
        0.0,
        10.0,
        unit="logit per unit weight",
        group=BEHAV,
        doc="Weight of the requester's KPI weight on speed in the choice to buy SaaS.",
    )
    saas_trust_weight: float = _p(
        4.0,
        0.0,
        10.0,
        unit="logit per unit trust",
        group=BEHAV,
        doc="Weight of marketing's trust in IT against buying SaaS around it.",
    )
    saas_urgency_weight: float = _p(
        1.0,
        0.0,
        10.0,
        unit="logit per unit urgency",
        group=BEHAV,
        doc="Weight of a request's urgency towards buying SaaS.",
    )
    saas_complexity_weight: float = _p(
        1.5,
        0.0,
        10.0,
        unit="logit per unit complexity",
        group=BEHAV,
        doc="Weight of a request's complexity against buying SaaS (complex work needs IT).",
    )
    early_saas_cut: float = _p(
        0.5,
        0.0,
        5.0,
        unit="logit",
        group=BEHAV,
        doc="Fall of the SaaS logit when IT is involved early: IT hears of the need while it can "
        "still offer a solution (assumption).",
    )
    early_priority_gain: float = _p(
        0.1,
        0.0,
        1.0,
        unit="share",
        group=BEHAV,
        doc="Extra share of IT's effort for marketing when IT is involved early (assumption).",
    )
    incident_hit: float = _p(
        4.0,
        0.0,
        50.0,
        unit="index points/incident",
        group=BEHAV,
        doc="Experience points one incident costs every customer in its week (assumption).",
    )
    experience_spread: float = _p(
        4.0,
        0.0,
        50.0,
        unit="index points",
        group=BEHAV,
        doc="Spread of customers' experience at full data maturity: touchpoints are consistent.",
    )
    silo_spread: float = _p(
        12.0,
        0.0,
        50.0,
        unit="index points",
        group=BEHAV,
        doc="Extra spread of customers' experience at zero data maturity: inconsistent "
        "touchpoints (Forrester, 'Mastering Customer Data').",
    )

    # --- behaviour: the request pipeline (docs/model.md: the request pipeline) ----------------
    request_value_sd: float = _p(
        0.4,
        0.0,
        3.0,
        unit="log points",
        group=BEHAV,
        doc="Spread (sd of the log) of a request's customer value, lognormal with median 1 "
        "(assumption).",
    )
    request_complexity_shape: float = _p(
        2.0,
        0.1,
        50.0,
        unit="Beta shape",
        group=BEHAV,
        doc="Both shape parameters of the symmetric Beta distribution of a request's technical "
        "complexity: 2 is a hump around 0.5; larger, more alike (assumption).",
    )
    hybrid_reach: float = _p(
        5.0,
        0.0,
        100.0,
        unit="marketers/hybrid",
        group=BEHAV,
        doc="Marketers one hybrid hire can translate for: the chance that a request has a "
        "hybrid in its requirements is hybrids x this / marketers, at most 1 (assumption).",
    )
    analyst_reach: float = _p(
        10.0,
        0.0,
        200.0,
        unit="marketers/analyst",
        group=BEHAV,
        doc="Marketers one embedded analyst can serve, as hybrid_reach (assumption).",
    )
    glossary_miss_cap: float = _p(
        0.5,
        0.0,
        1.0,
        unit="multiplier",
        group=BEHAV,
        doc="With the glossary, a request's chance of misunderstanding is at most this times "
        "misunderstanding x complexity: the worst confusions are settled in writing "
        "(assumption).",
    )
    governance_weeks: float = _p(
        3.0,
        0.0,
        52.0,
        unit="weeks",
        group=BEHAV,
        doc="Approval wait of a change under full governance, before IT may start it; "
        "governance_agility shortens it for low-risk work (rounded to whole weeks; assumption).",
    )
    effort_base: float = _p(
        0.3,
        0.0,
        10.0,
        unit="effort units",
        group=BEHAV,
        doc="Effort of a request of zero complexity (assumption).",
    )
    effort_per_complexity: float = _p(
        1.4,
        0.0,
        20.0,
        unit="effort units per unit complexity",
        group=BEHAV,
        doc="Extra effort per unit of a request's complexity: the most complex takes "
        "effort_base + this (assumption).",
    )
    agile_effort_cut: float = _p(
        0.3,
        0.0,
        1.0,
        unit="share",
        group=BEHAV,
        doc="Share of a low-risk request's effort (its paperwork) that governance_agility 1 "
        "removes, in proportion below (assumption).",
    )
    forbid_saas_damping: float = _p(
        0.6,
        0.0,
        1.0,
        unit="multiplier",
        group=BEHAV,
        doc="Multiplier of marketing's chance of buying SaaS around IT when it is forbidden: "
        "bought anyway, hidden and expensed against the rules ('laissez-faire' is 1 by "
        "definition) (assumption).",
    )
    guidelines_saas_damping: float = _p(
        0.9,
        0.0,
        1.0,
        unit="multiplier",
        group=BEHAV,
        doc="The same multiplier when SaaS is allowed within standards and guidelines "
        "(assumption).",
    )
    saas_lead_weeks: int = _p(
        2,
        0,
        52,
        unit="weeks",
        group=BEHAV,
        doc="Weeks from a SaaS purchase to a configured tool in use (assumption).",
    )
    promise_trust_weight: float = _p(
        0.8,
        0.0,
        3.0,
        unit="per unit trust",
        group=BEHAV,
        doc="Fall of marketing's chance of promising a date without IT per unit of its trust "
        "in IT above 0.3 (relative to that chance; assumption).",
    )
    promise_optimism: float = _p(
        0.7,
        0.0,
        5.0,
        unit="share of IT's estimate",
        group=BEHAV,
        doc="A date marketing promises without IT is this share of IT's estimate (rounded up): "
        "it follows the business's wish, not IT's queue, about 30% optimistic (assumption).",
    )
    estimate_padding: float = _p(
        1.2,
        0.0,
        5.0,
        unit="multiplier",
        group=BEHAV,
        doc="A date IT agrees is its estimate padded by this factor (rounded up) (assumption).",
    )
    early_effort_share: float = _p(
        0.95,
        0.0,
        1.0,
        unit="share",
        group=BEHAV,
        doc="Share of each technologist's marketing effort left for requests when IT is "
        "involved early; the rest goes to reviewing ideas (assumption).",
    )
    abandon_weeks: int = _p(
        26,
        0,
        1040,
        unit="weeks",
        group=BEHAV,
        doc="Marketing gives up on a request IT has not started once it is older than this "
        "(assumption: half a year).",
    )
    max_reworks: int = _p(
        2,
        0,
        2,
        unit="reworks",
        group=BEHAV,
        doc="Reworks of a misunderstood result before it is delivered as it is; at most 2, "
        "the rework uniforms each request carries (assumption).",
    )
    rework_effort_share: float = _p(
        0.5,
        0.0,
        2.0,
        unit="share of the effort",
        group=BEHAV,
        doc="Effort of one rework as a share of the request's effort (assumption).",
    )
    it_quality_base: float = _p(
        0.4,
        0.0,
        1.0,
        unit="quality",
        group=BEHAV,
        doc="Quality of an IT delivery by a technologist of zero skill on unclear requirements; "
        "quality = this + it_quality_skill x skill + it_quality_clarity x clarity "
        "(assumption).",
    )
    it_quality_skill: float = _p(
        0.3,
        0.0,
        1.0,
        unit="quality per unit skill",
        group=BEHAV,
        doc="Quality an IT delivery gains per unit of the technologist's skill (assumption).",
    )
    it_quality_clarity: float = _p(
        0.3,
        0.0,
        1.0,
        unit="quality per unit clarity",
        group=BEHAV,
        doc="Quality an IT delivery gains per unit of the clarity of its requirements "
        "(assumption).",
    )
    missed_quality: float = _p(
        0.5,
        0.0,
        1.0,
        unit="multiplier",
        group=BEHAV,
        doc="Quality multiplier of a result delivered after max_reworks that still misses what "
        "was meant (assumption).",
    )
    saas_quality_base: float = _p(
        0.5,
        0.0,
        1.0,
        unit="quality",
        group=BEHAV,
        doc="Quality of a SaaS tool bought by a requester of zero technology skill, before "
        "noise: fast and decent, unintegrated (assumption).",
    )
    saas_quality_skill: float = _p(
        0.25,
        0.0,
        1.0,
        unit="quality per unit skill",
        group=BEHAV,
        doc="Quality a SaaS tool gains per unit of the requester's technology skill (assumption).",
    )
    saas_quality_noise: float = _p(
        0.35,
        0.0,
        2.0,
        unit="quality",
        group=BEHAV,
        doc="Width of the uniform noise on a SaaS tool's quality (sd about 0.1 at 0.35; "
        "assumption).",
    )
    saas_quality_floor: float = _p(
        0.1,
        0.0,
        1.0,
        unit="quality",
        group=BEHAV,
        doc="Lowest quality of a SaaS tool (the highest is 1) (assumption).",
    )
    saas_distrust_weight: float = _p(
        0.5,
        0.0,
        5.0,
        unit="failures per silo unit",
        group=BEHAV,
        doc="Failure weight, in IT's trust in marketing, of a SaaS tool going live, per unit of "
        "its silo weight (a tool IT will have to integrate; assumption).",
    )

    # --- behaviour: KPI mixes and IT's priority (docs/model.md: staff, leaders) -------------
    marketing_kpi_speed: float = _p(
        0.6,
        0.0,
        1.0,
        unit="weight",
        group=BEHAV,
        doc="Weight on speed (time to market) in marketing's own KPI mix: marketers are judged "
        "on speed and leads (Accenture, The CMO-CIO Disconnect; Forrester 2016). The four "
        "marketing_kpi_ weights sum to 1.",
    )
    marketing_kpi_reliability: float = _p(
        0.05,
        0.0,
        1.0,
        unit="weight",
        group=BEHAV,
        doc="Weight on reliability (uptime, incidents) in marketing's own KPI mix (as "
        "marketing_kpi_speed).",
    )
    marketing_kpi_cost: float = _p(
        0.05,
        0.0,
        1.0,
        unit="weight",
        group=BEHAV,
        doc="Weight on cost (budgets, standards) in marketing's own KPI mix (as "
        "marketing_kpi_speed).",
    )
    marketing_kpi_cx: float = _p(
        0.3,
        0.0,
        1.0,
        unit="weight",
        group=BEHAV,
        doc="Weight on customer experience in marketing's own KPI mix (as marketing_kpi_speed).",
    )
    it_kpi_speed: float = _p(
        0.1,
        0.0,
        1.0,
        unit="weight",
        group=BEHAV,
        doc="Weight on speed (time to market) in IT's own KPI mix: technologists are judged on "
        "reliability, standards and cost (Accenture, The CMO-CIO Disconnect; Forrester "
        "2016). The four it_kpi_ weights sum to 1.",
    )
    it_kpi_reliability: float = _p(
        0.5,
        0.0,
        1.0,
        unit="weight",
        group=BEHAV,
        doc="Weight on reliability (uptime, incidents) in IT's own KPI mix (as it_kpi_speed).",
    )
    it_kpi_cost: float = _p(
        0.3,
        0.0,
        1.0,
        unit="weight",
        group=BEHAV,
        doc="Weight on cost (budgets, standards) in IT's own KPI mix (as it_kpi_speed).",
    )
    it_kpi_cx: float = _p(
        0.1,
        0.0,
        1.0,
        unit="weight",
        group=BEHAV,
        doc="Weight on customer experience in IT's own KPI mix (as it_kpi_speed).",
    )
    priority_cap: float = _p(
        0.8,
        0.0,
        1.0,
        unit="share",
        group=BEHAV,
        doc="The most of its effort IT ever gives marketing's requests: run work stays "
        "(assumption).",
    )

    # --- behaviour: the leaders (docs/model.md: leaders) ---------------------------------------
    leader_meetings: float = _p(
        1.0,
        0.0,
        20.0,
        unit="per month",
        group=BEHAV,
        doc="Meetings of the CMO and the CIO about marketing's technology in a traditional firm "
        "(assumption: a monthly steering meeting).",
    )
    joint_planning_meetings: float = _p(
        4.0,
        0.0,
        20.0,
        unit="per month",
        group=BEHAV,
        doc="Their meetings when they plan and fund the roadmap together (joint_planning): "
        "weekly (assumption).",
    )
    roadmap_weeks: float = _p(
        4.0,
        1.0,
        52.0,
        unit="weeks",
        group=BEHAV,
        doc="How long a roadmap the two leaders agreed at a meeting holds (assumption: a "
        "month's plan, until they next review it).",
    )
    roadmap_priority_gain: float = _p(
        0.25,
        0.0,
        2.0,
        unit="share",
        group=BEHAV,
        doc="Extra share of IT's effort for marketing that the CIO commits while an agreed "
        "roadmap holds (relative to the CIO's own rule).",
    )
    roadmap_promise_cut: float = _p(
        0.7,
        0.0,
        1.0,
        unit="share",
        group=BEHAV,
        doc="Share of marketing's promises without IT's agreement that an agreed roadmap "
        "prevents (the dates were agreed with IT).",
    )
    agreement_trust_floor: float = _p(
        0.5,
        0.0,
        1.0,
        unit="multiplier",
        group=BEHAV,
        doc="At a meeting, the CMO and CIO agree a roadmap with chance alignment x (this + "
        "(1 - this) x the departments' mutual trust): the chance at no trust at all, relative "
        "to full trust (assumption).",
    )
    priority_kpi_sensitivity: float = _p(
        2.0,
        0.0,
        10.0,
        unit="per unit weight",
        group=BEHAV,
        doc="Relative rise of IT's share of effort for marketing per unit of speed + CX weight "
        "in IT's KPI mix above a traditional IT's 0.2 (assumption).",
    )
    priority_trust_base: float = _p(
        0.7,
        0.0,
        2.0,
        unit="multiplier",
        group=BEHAV,
        doc="Multiplier of IT's share of effort for marketing when IT does not trust marketing "
        "at all (assumption).",
    )
    priority_trust_weight: float = _p(
        0.6,
        0.0,
        2.0,
        unit="per unit trust",
        group=BEHAV,
        doc="Rise of that multiplier per unit of IT's trust in marketing: 1 at trust 0.5 at the "
        "defaults (assumption).",
    )
    incident_reaction: float = _p(
        0.2,
        0.0,
        1.0,
        unit="share per excess",
        group=BEHAV,
        doc="How far the CIO pulls IT's effort back from marketing to reliability when the last "
        "month's incidents run above what the firm had at set-up: the share falls by this "
        "much per 100% excess, at most by this much times 2.",
    )

    # --- behaviour: customers and money (section 7) ------------------------------------------
    loss_aversion: float = _p(
        2.0,
        1.0,
        3.0,
        unit="ratio",
        group=BEHAV,
        doc="Weight of a shortfall against a surplus of the same size "
        "(Anderson and Sullivan 1993; Mittal et al. 1998: 1.5-2.5).",
    )
    satisfaction_weight: float = _p(
        0.08,
        0.01,
        1.0,
        unit="share/week",
        group=BEHAV,
        doc="Weight of this week's experience in cumulative "
        "satisfaction (Bolton 1998: satisfaction is an anchor).",
    )
    churn_monthly: float = _p(
        0.03,
        0.001,
        0.2,
        unit="share/month",
        group=BEHAV,
        doc="Monthly voluntary churn of a customer at the baseline "
        "satisfaction (Recurly benchmarks: 1-5%).",
    )
    churn_sensitivity: float = _p(
        0.03,
        0.0,
        1.0,
        unit="per index point",
        group=BEHAV,
        doc="Log-hazard fall of churn per point of a customer's satisfaction: at 0.03 a customer "
        "10 points more satisfied is 26% less likely to leave (assumption; no source gives the "
        "individual slope. It was 0.08, also unsourced, under which one headline lever moved "
        "revenue growth 2-3 times the McKinsey bound of experiments/effect_bounds.toml).",
    )
    delivery_elasticity: float = _p(
        0.24,
        0.0,
        2.0,
        unit="elasticity",
        group=BEHAV,
        doc="Elasticity of new customers to what marketing delivers (value x quality x "
        "timeliness of its campaigns and features) relative to a traditional firm's delivery "
        "(Sethuraman, Tellis and Briesch 2011, meta-analysis of advertising elasticities: "
        "long-term mean 0.24). Acquisition is balanced against churn at set-up, so a "
        "traditional firm is stationary whatever churn_monthly is.",
    )
    delivery_reference: float = _p(
        0.63,
        0.01,
        5.0,
        unit="value/raised request",
        group=BEHAV,
        doc="What a traditional firm delivers per raised request, in value x quality x "
        "timeliness (measured on the default traditional firm: 0.631, sd 0.017 over 4 seeds, "
        "weeks 26-156); acquisition scales with delivery relative to this.",
    )
    timeliness_weeks: float = _p(
        26.0,
        1.0,
        520.0,
        unit="weeks",
        group=BEHAV,
        doc="A delivery's worth to acquisition falls as exp(-time to market / this): a campaign "
        "half a year late has lost most of its moment (assumption).",
    )
    word_of_mouth: float = _p(
        0.0025,
        0.0,
        0.1,
        unit="new/promoter/week",
        group=BEHAV,
        doc="New customers brought by each promoter each week.",
    )
    revenue_per_customer: float = _p(
        300.0,
        0.0,
        100_000.0,
        unit="currency/week",
        group=BEHAV,
        doc="Weekly revenue of one active customer at the starting data maturity; sized so that "
        "a default firm's marketing staff cost about 2.2% of its revenue, as marketing labour "
        "does in large firms (Gartner CMO Spend Survey 2023: marketing budgets 9.1% of revenue, "
        "24.6% of them labour). Marketing's and IT's own costs (staff, IT's run cost, SaaS "
        "bought around IT, incidents) are then about 6.5% of revenue. It was 120, which made "
        "them 16% and gave what a lever saves there a leverage on margin no large firm has.",
    )
    maturity_revenue_lift: float = _p(
        0.15,
        0.0,
        1.0,
        unit="share per unit maturity",
        group=BEHAV,
        doc="Revenue per customer gained per unit of data maturity above the starting level: "
        "personalisation and share of wallet (McKinsey 2021, 'The value of getting "
        "personalization right': 10-15% revenue lift).",
    )
    gross_margin: float = _p(
        0.40,
        0.05,
        0.95,
        unit="share of revenue",
        group=BEHAV,
        doc="Revenue left after the cost of goods (assumption within the 0.25-0.60 of most "
        "large-firm sectors, Damodaran, Margins by Sector, NYU Stern, 2024).",
    )
    operating_margin: float = _p(
        0.10,
        -0.5,
        0.6,
        unit="share of revenue",
        group=BEHAV,
        doc="Operating margin of the firm at set-up: the rest of the firm's fixed overheads are "
        "set so that it holds (large firms typically 0.08-0.15, Damodaran 2024); from then on "
        "margin moves with revenue, lever costs and incidents.",
    )
    overhead_elasticity_up: float = _p(
        0.55,
        0.0,
        1.0,
        unit="share per share",
        group=BEHAV,
        doc="Relative rise of the rest of the firm's overheads per relative rise of revenue above "
        "its level at set-up: overheads are semi-fixed, not fixed (SG&A rises 0.55% per 1% rise "
        "of sales; Anderson, Banker and Janakiraman 2003, Journal of Accounting Research 41).",
    )
    overhead_elasticity_down: float = _p(
        0.35,
        0.0,
        1.0,
        unit="share per share",
        group=BEHAV,
        doc="Relative fall of overheads per relative fall of revenue below its level at set-up: "
        "costs are sticky, cut less than they grew (0.35% per 1% fall of sales; Anderson, "
        "Banker and Janakiraman 2003).",
    )
    overhead_window: int = _p(
        13,
        1,
        52,
        unit="weeks",
        group=BEHAV,
        doc="Weeks of revenue the overheads follow (its trailing mean): budgets are revised about "
        "quarterly (assumption).",
    )
    industry_growth: float = _p(
        0.02,
        -0.2,
        0.3,
        unit="share/year",
        group=ENV,
        doc="Industry trend of revenue per customer (prices and demand) shared by every firm "
        "(assumption: about nominal GDP growth less inflation's share).",
    )
    demand_shock_sd: float = _p(
        0.08,
        0.0,
        1.0,
        unit="log points",
        group=ENV,
        doc="Standard deviation of a firm's own demand shock (demand, competitors), which moves "
        "revenue per customer and acquisition; with the weekly persistence below the annual "
        "revenue growth of a firm varies by about 0.09 from it alone (Comin and Philippon "
        "2005: firm-level sales growth volatility of large US firms about 0.10-0.20 a year).",
    )
    demand_persistence: float = _p(
        0.98,
        0.0,
        0.9999,
        unit="per week",
        group=ENV,
        doc="Weekly autocorrelation of the demand shock (AR(1)): a shock halves in about 8 "
        "months (assumption).",
    )
    competition_shock_sd: float = _p(
        0.1,
        0.0,
        2.0,
        unit="log points",
        group=ENV,
        doc="Standard deviation of competitors' pull on a firm's customers, a log multiplier of "
        "its churn hazard (AR(1)) independent of its own experience and of demand. 0.1 moves "
        "a year's churn by about a tenth either way (assumption: with the demand shock it keeps "
        "a firm's yearly revenue growth volatility about 0.10-0.15, inside the 0.10-0.20 of "
        "large firms, Comin and Philippon 2005).",
    )
    competition_persistence: float = _p(
        0.98,
        0.0,
        0.9999,
        unit="per week",
        group=ENV,
        doc="Weekly autocorrelation of the competition shock (as demand_persistence).",
    )
    salary: float = _p(
        2_000.0,
        0.0,
        100_000.0,
        unit="currency/week",
        group=BEHAV,
        doc="Weekly cost of one staff member (leaders cost leader_salary_multiple times this).",
    )
    hybrid_premium: float = _p(
        0.3,
        0.0,
        1.0,
        unit="share",
        group=BEHAV,
        doc="Pay premium of a hybrid hire (Burning Glass 2019: 20-40%).",
    )

    # --- behaviour: customers' expectations and recommendation (docs/model.md: customers) ------
    reference_satisfaction: float = _p(
        62.0,
        0.0,
        100.0,
        unit="index points",
        group=BEHAV,
        doc="Satisfaction at which a customer's churn hazard is churn_monthly and her likelihood "
        "to recommend is 7.5 before her own bias (assumption: where the 0-100 scale meets the "
        "churn benchmark).",
    )
    disconfirmation_weight: float = _p(
        0.5,
        0.0,
        2.0,
        unit="multiplier",
        group=BEHAV,
        doc="Weight of a surplus of experience over expectation in this week's satisfaction; a "
        "shortfall weighs loss_aversion times as much (expectation-disconfirmation, Oliver "
        "1980; the size is an assumption).",
    )
    expectation_pull: float = _p(
        0.05,
        0.0,
        1.0,
        unit="share/week",
        group=BEHAV,
        doc="Weekly pull of each customer's expectation towards the market's level "
        "(market_level) (assumption).",
    )
    expectation_adaptation: float = _p(
        0.01,
        0.0,
        1.0,
        unit="share/week",
        group=BEHAV,
        doc="Weekly adaptation of each customer's expectation to the experience this firm gives "
        "her (assumption).",
    )
    expectation_spread: float = _p(
        5.0,
        0.0,
        50.0,
        unit="index points",
        group=BEHAV,
        doc="Spread (sd) of expectations between customers, and of a newcomer's starting "
        "satisfaction around the firm's reputation (assumption).",
    )
    maturity_experience_bonus: float = _p(
        8.0,
        0.0,
        50.0,
        unit="index points per unit maturity",
        group=BEHAV,
        doc="Experience points of fully mature customer data (personalisation), counted from "
        "the starting maturity (assumption).",
    )
    recommend_spread: float = _p(
        2.0,
        0.0,
        5.0,
        unit="LTR points",
        group=BEHAV,
        doc="Spread (sd) of customers' fixed bias on the 0-10 likelihood-to-recommend scale: "
        "answers to the NPS question within one brand spread by about 2 points (assumption "
        "from the usual shape of NPS answer distributions, e.g. 45% promoters and 15% "
        "detractors at NPS 30).",
    )
    ltr_scale: float = _p(
        10.0,
        0.1,
        50.0,
        unit="index points per LTR point",
        group=BEHAV,
        doc="Satisfaction points per point of likelihood to recommend: 10 maps the 0-100 "
        "satisfaction scale onto the 0-10 recommendation scale one to one (assumption; it was "
        "6, under which one CX point moved NPS by about 6 points).",
    )
    promoter_ltr: float = _p(
        8.5,
        0.0,
        10.0,
        unit="LTR points",
        group=BEHAV,
        doc="Likelihood to recommend from which a customer is a promoter: one that rounds to 9 "
        "or 10 (the NPS definition).",
    )
    detractor_ltr: float = _p(
        6.5,
        0.0,
        10.0,
        unit="LTR points",
        group=BEHAV,
        doc="Likelihood to recommend below which a customer is a detractor: one that rounds to "
        "0-6 (the NPS definition); keep it below promoter_ltr.",
    )

    # --- behaviour: data flow (docs/model.md: data flow) --------------------------------------
    integrated_gain: float = _p(
        0.012,
        0.0,
        0.5,
        unit="maturity per delivery",
        group=BEHAV,
        doc="Data maturity gained per integrated IT delivery of quality 1, scaled by "
        "(1 - maturity) (assumption).",
    )
    silo_loss: float = _p(
        0.010,
        0.0,
        0.5,
        unit="share of maturity per silo",
        group=BEHAV,
        doc="Share of data maturity lost per SaaS silo of weight 1 (assumption).",
    )
    debt_drag: float = _p(
        0.0001,
        0.0,
        0.01,
        unit="share of maturity per debt unit/week",
        group=BEHAV,
        doc="Weekly share of data maturity lost per unit of integration debt (assumption).",
    )
    debt_paydown: float = _p(
        0.04,
        0.0,
        1.0,
        unit="share/week",
        group=BEHAV,
        doc="Share of integration debt that IT's own (non-marketing) work pays down a week when "
        "all of IT's effort is its own (assumption).",
    )
    guidelines_silo_weight: float = _p(
        0.4,
        0.0,
        1.0,
        unit="silo units",
        group=BEHAV,
        doc="Damage (to maturity, debt and IT's trust) of one SaaS tool bought under "
        "saas_policy='guidelines', relative to one bought against the rules or with no rules "
        "(1 by definition): guidelines require export APIs and a data standard (assumption).",
    )
    guidelines_violation_share: float = _p(
        0.3,
        0.0,
        1.0,
        unit="share",
        group=BEHAV,
        doc="Share of SaaS purchases under guidelines that break the company's standards; under "
        "'forbid' any purchase does and with no guidelines nobody knows the standards (1 by "
        "definition) (assumption).",
    )

    # --- behaviour: incidents, SaaS at set-up, acquisition pace (docs/model.md: data flow) -----
    incident_rate: float = _p(
        0.12,
        0.0,
        10.0,
        unit="incidents/week",
        group=BEHAV,
        doc="Scale of the weekly incident rate: a firm with no integration debt has this times "
        "(incident_neglect_multiplier - IT's share of effort on its own reliability work) "
        "incidents a week, 0.072 at full reliability work (assumption).",
    )
    incident_debt_scale: float = _p(
        20.0,
        0.1,
        1000.0,
        unit="silo units",
        group=BEHAV,
        doc="Integration debt that doubles the incident rate: the rate rises by 1/this per "
        "unit of debt (assumption).",
    )
    incident_neglect_multiplier: float = _p(
        1.6,
        1.0,
        10.0,
        unit="multiplier",
        group=BEHAV,
        doc="Multiplier of incident_rate when IT spends none of its effort on its own "
        "reliability work; it falls by one per unit of that share, to this minus one at full "
        "reliability work (assumption).",
    )
    change_risk: float = _p(
        0.05,
        0.0,
        1.0,
        unit="incidents/change",
        group=BEHAV,
        doc="Incident chance of a low-risk change shipped with no checks at all: each low-risk "
        "IT delivery adds this times governance_agility to the week's incident rate "
        "(assumption).",
    )
    start_saas_share: float = _p(
        0.3,
        0.0,
        1.0,
        unit="share of requests",
        group=BEHAV,
        doc="SaaS subscriptions marketing holds at week 0, as a share of a year of its requests "
        "(request_rate x n_marketers x 52): the stock left by a year of buying that share "
        "around IT (assumption).",
    )
    delivery_pace_weeks: float = _p(
        13.0,
        1.0,
        520.0,
        unit="weeks",
        group=BEHAV,
        doc="Smoothing time of marketing's delivery pace, the exponential average of delivered "
        "worth per raised request that drives acquisition: about a quarter, as campaigns run "
        "(assumption).",
    )

    # --- behaviour: costs (docs/model.md: money and lever costs) -------------------------------
    leader_salary_multiple: float = _p(
        3.0,
        1.0,
        20.0,
        unit="salaries",
        group=BEHAV,
        doc="Weekly cost of the CMO and of the CIO each, in staff salaries (assumption).",
    )
    it_run_share: float = _p(
        0.25,
        0.0,
        5.0,
        unit="share of IT salaries",
        group=BEHAV,
        doc="IT's run cost (infrastructure, licences) as a share of IT staff's salaries "
        "(assumption).",
    )
    debt_cost: float = _p(
        300.0,
        0.0,
        100_000.0,
        unit="currency/week per silo unit",
        group=BEHAV,
        doc="Weekly cost of one unit of integration debt: workarounds, manual fixes (assumption).",
    )
    saas_subscription_cost: float = _p(
        300.0,
        0.0,
        100_000.0,
        unit="currency/week per tool",
        group=BEHAV,
        doc="Weekly subscription of one SaaS tool bought around IT (assumption).",
    )
    saas_life_weeks: float = _p(
        52.0,
        1.0,
        1040.0,
        unit="weeks",
        group=BEHAV,
        doc="Mean life of a SaaS subscription: 1/this of the subscriptions, and of each "
        "marketer's tools in use, are dropped each week (assumption: one year).",
    )
    incident_cost: float = _p(
        20_000.0,
        0.0,
        10_000_000.0,
        unit="currency/incident",
        group=BEHAV,
        doc="Cost of one incident: lost sales, overtime, credits (assumption).",
    )
    desk_move_cost: float = _p(
        3_000.0,
        0.0,
        1_000_000.0,
        unit="currency/desk",
        group=BEHAV,
        doc="One-off cost of one person's desk moved to another floor or building at a "
        "re-seating (assumption).",
    )
    glossary_cost: float = _p(
        20_000.0,
        0.0,
        10_000_000.0,
        unit="currency",
        group=BEHAV,
        doc="One-off cost of writing the shared glossary (assumption).",
    )
    glossary_upkeep: float = _p(
        500.0,
        0.0,
        1_000_000.0,
        unit="currency/week",
        group=BEHAV,
        doc="Weekly cost of keeping the shared glossary current (assumption).",
    )
    occasion_cost: float = _p(
        30.0,
        0.0,
        10_000.0,
        unit="currency/attendee",
        group=BEHAV,
        doc="Food and travel per attendee of a joint occasion (assumption).",
    )
    occasion_hours: float = _p(
        1.5,
        0.0,
        40.0,
        unit="hours/attendee",
        group=BEHAV,
        doc="Working hours an attendee spends at a joint occasion, paid at the salary's hourly "
        "rate (assumption).",
    )
    planning_time_share: float = _p(
        0.1,
        0.0,
        1.0,
        unit="share of a leader's time",
        group=BEHAV,
        doc="Share of the CMO's and the CIO's time spent planning jointly: the cost of "
        "joint_planning (assumption).",
    )

    # --- the survey instrument (docs/survey.md) -------------------------------------------
    survey_week: int = _p(
        104,
        65,  # survey.instrument.MIN_HISTORY: the trailing year plus a quarter for year-ago checks
        1040,
        unit="week",
        group=SURVEY,
        doc="Week at which the respondents answer, from their trailing 52 weeks (at least 65).",
    )
    tolerance_cio: float = _p(
        0.5,
        0.05,
        0.95,
        unit="rate",
        group=SURVEY,
        doc="Mean tolerance of CIOs: a CIO answers yes when the perceived rate exceeds a "
        "tolerance drawn from Beta with this mean (one distribution for every question).",
    )
    tolerance_cmo: float = _p(
        0.5,
        0.05,
        0.95,
        unit="rate",
        group=SURVEY,
        doc="Mean tolerance of CMOs, as tolerance_cio.",
    )
    tolerance_marketer: float = _p(
        0.5,
        0.05,
        0.95,
        unit="rate",
        group=SURVEY,
        doc="Mean tolerance of marketers, as tolerance_cio.",
    )
    disposition_concentration: float = _p(
        8.0,
        1.0,
        100.0,
        unit="ratio",
        group=SURVEY,
        doc="How alike the respondents of one role are in disposition: tolerances are Beta(k m, "
        "k (1 - m)) with this k for every role (sd about 0.17 at m = 0.5 and k = 8; higher k, "
        "more alike). Not a tolerance per question: one spread for everyone, which a fit may "
        "estimate since no source gives it.",
    )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            _check(f, getattr(self, f.name))
        for department in ("marketing", "it"):
            names = [f"{department}_kpi_{k}" for k in KPI_WEIGHTS]
            total = sum(getattr(self, name) for name in names)
            if abs(total - 1.0) > 1e-6:
                raise ParameterError(
                    f"{', '.join(names)} sum to {total:g}: the weights of a KPI mix must sum to 1"
                )

    # -- construction helpers -------------------------------------------------------------------
    @classmethod
    def from_flat(cls, values: dict[str, Any] | None = None, **kwargs: Any) -> Parameters:
        """Build from flat keyword values, rejecting unknown names with the closest valid one."""
        merged = {**(values or {}), **kwargs}
        unknown = [k for k in merged if k not in FIELDS]
        if unknown:
            raise ParameterError(unknown_message(unknown[0]))
        return cls(**{k: coerce(k, v) for k, v in merged.items()})

    def replace(self, **changes: Any) -> Parameters:
        """A copy with some values changed, validated like a fresh construction."""
        return Parameters.from_flat({**self.as_dict(), **changes})

    def as_dict(self) -> dict[str, Any]:
        """The flat ``{name: value}`` mapping, in declaration order."""
        return dataclasses.asdict(self)

    def lever_value(self, name: str, week: int) -> Any:
        """A lever's value in ``week``: its set value once its start week is reached, before that
        the default (traditional) value, so that a lever can be introduced mid-run."""
        if week >= getattr(self, f"{name}_start"):
            return getattr(self, name)
        return FIELDS[name].default


_TYPES: dict[str, type] = {"int": int, "float": float, "bool": bool, "str": str}


def field_type(f: dataclasses.Field) -> type:
    """A field's Python type (the annotation is text under ``from __future__ import
    annotations``): int, float, bool or str."""
    return f.type if isinstance(f.type, type) else _TYPES[str(f.type)]


def _check(f: dataclasses.Field, value: Any) -> None:
    meta = f.metadata
    expected = field_type(f)
    ok_type = isinstance(value, expected) and not (expected is not bool and isinstance(value, bool))
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        ok_type = True
    if not ok_type:
        raise ParameterError(
            f"{f.name}={value!r} has the wrong type: expected {expected.__name__}"
            f" ({allowed(f.name)})"
        )
    if meta["choices"] is not None and value not in meta["choices"]:
        raise ParameterError(f"{f.name}={value!r} is not allowed: choose one of {allowed(f.name)}")
    lo, hi = meta["range"]
    if lo is not None and not (lo <= value <= hi):
        raise ParameterError(f"{f.name}={value!r} is out of range: allowed {allowed(f.name)}")


FIELDS: dict[str, dataclasses.Field] = {f.name: f for f in dataclasses.fields(Parameters)}
LEVERS: tuple[str, ...] = tuple(n for n, f in FIELDS.items() if f.metadata["group"] == LEVER)
DEFAULTS = Parameters()


def allowed(name: str) -> str:
    """The allowed values of a parameter, as a human-readable phrase."""
    f = FIELDS[name]
    meta = f.metadata
    if meta["choices"]:
        return ", ".join(repr(c) for c in meta["choices"])
    if field_type(f) is bool:
        return "true or false"
    lo, hi = meta["range"]
    unit = f" {meta['unit']}" if meta["unit"] else ""
    kind = "a whole number" if field_type(f) is int else "a number"
    return f"{kind} from {lo} to {hi}{unit}"


def unknown_message(name: str) -> str:
    """The message for an unknown parameter name, suggesting the closest valid names."""
    close = difflib.get_close_matches(name, list(FIELDS), n=3, cutoff=0.5)
    hint = (
        f"; did you mean {' or '.join(close)}?" if close else "; run 'orgsim params' to list them"
    )
    return f"unknown parameter {name!r}{hint}"


def coerce(name: str, value: Any) -> Any:
    """Convert text (a CLI flag, a browser field) or a loose number to the field's type.

    Raises:
        ParameterError: the name is unknown or the text cannot be read as the field's type.
    """
    if name not in FIELDS:
        raise ParameterError(unknown_message(name))
    kind = field_type(FIELDS[name])
    if isinstance(value, np.generic):
        value = value.item()  # a NumPy scalar from a sweep or a slider: its Python value
    try:
        if kind is bool and isinstance(value, str):
            low = value.strip().lower()
            if low in ("true", "yes", "1", "on"):
                return True
            if low in ("false", "no", "0", "off"):
                return False
            raise ValueError(value)
        if kind is int and isinstance(value, str):
            return int(value.strip())
        if kind is int and isinstance(value, float) and value.is_integer():
            return int(value)
        if kind is float and isinstance(value, (str, int)) and not isinstance(value, bool):
            return float(value)
    except ValueError:
        raise ParameterError(f"{name}={value!r} cannot be read: expected {allowed(name)}") from None
    return value
