"""The survey instrument and the industry population: every question answered by every listed
respondent; every item a share of the respondent's own experiences (checked item by item on
ledgers built by hand); one tolerance per respondent, at most three tolerance parameters, and a
higher tolerance never more yes; classifications from measured behaviour; answers that move the
right way with the levers over paired seeds; populations that are validated and reproducible,
shares with binomial intervals."""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.model.ledger import MEMORY, WINDOW, ExperienceLedger
from sim.model.model import Organisation
from sim.model.parameters import FIELDS
from sim.results.stats import paired_difference, require_effect
from sim.runs.runner import release
from sim.runs.scenarios import ScenarioError
from sim.survey.instrument import (
    ITEMS,
    QUESTIONS,
    TOOL_IN_USE,
    SurveyError,
    answer,
    classify,
    compare_with_peers,
    ledger_counts,
    perceptions,
    rate_of,
    reanswer,
    tolerances,
)
from sim.survey.population import load_population, run_survey, shares, wilson

SMALL = {"n_marketers": 10, "n_technologists": 10, "n_customers": 500}


def surveyed(seed: int = 1, weeks: int = 70, **overrides) -> Organisation:
    model = Organisation(seed=seed, weeks=weeks, **{**SMALL, **overrides})
    model.run()
    return model


# -- the instrument's shape ------------------------------------------------------------------------
def test_every_question_for_every_listed_respondent():
    required = {
        "need_alignment",
        "ready_digital",
        "promises_without_it",
        "it_underdelivers",
        "poor_requirements",
        "ignores_standards",
        "relationship_improved",
        "strategic_partners",
        "low_priority",
        "integration_struggles",
        "substantial_growth",
        "margin_growth_5",
        "competitive_position",
    }
    assert {q.id for q in QUESTIONS} == required
    model = surveyed()
    answers = answer(model)
    release(model)
    got = set(zip(answers.question, answers.respondent, strict=True))
    assert got == set(ITEMS)
    assert answers.rate.between(0, 1).all() and answers.yes.dtype == bool
    # Every rate is its events over its exposures, and there are never more events than exposures.
    people = answers[answers.respondent != "firm"]
    assert (people.events <= people.exposures + 1e-9).all()
    np.testing.assert_allclose(people.rate, rate_of(people.events, people.exposures))
    marketers = answers[answers.respondent == "marketers"]
    assert marketers.groupby("question").size().eq(10).all()  # one answer per marketer
    assert (answers[answers.respondent == "firm"].tolerance.isna()).all()


def test_at_most_three_tolerance_parameters():
    tolerances_ = [
        n
        for n, f in FIELDS.items()
        if f.metadata["group"] == "survey" and n.startswith("tolerance")
    ]
    assert len(tolerances_) <= 3
    assert not any(q.id in n for q in QUESTIONS for n in FIELDS)  # no parameter per question
    # ...and one spread of dispositions for every role and question.
    survey = [n for n, f in FIELDS.items() if f.metadata["group"] == "survey"]
    assert set(survey) - set(tolerances_) == {"survey_week", "disposition_concentration"}


def test_survey_needs_a_year_of_history():
    model = Organisation(seed=1, weeks=20, **SMALL).run()
    with pytest.raises(SurveyError, match="at least"):
        perceptions(model)
    release(model)


def test_same_firm_same_answers():
    a, b = surveyed(seed=3), surveyed(seed=3)
    pd.testing.assert_frame_equal(answer(a), answer(b))


def test_the_ledger_remembers_two_years_and_no_more():
    led = ExperienceLedger(2)
    for week in range(1, 200):
        led.new_week(week)
        led.add("raised", 0)
    assert led.counts.shape[2] == MEMORY == 2 * WINDOW
    assert led.trailing("raised")[0] == WINDOW
    assert led.trailing("raised", skip=WINDOW)[0] == WINDOW
    assert led.trailing("raised", weeks=WINDOW, skip=WINDOW + 1)[0] == WINDOW - 1  # what is left
    with pytest.raises(ValueError, match="remembers"):
        led.trailing("raised", skip=MEMORY)


# -- one item at a time, on ledgers built by hand ---------------------------------------------
M1, M2, TECH, CMO, CIO = range(5)  # two marketers, a technologist, the two leaders
PEOPLE = np.array([M1, M2])
NOW = 104  # the survey week: the trailing year is weeks 53-104, the year before 1-52


def ledger(*records: tuple[int, str, list[int] | int, float]) -> ExperienceLedger:
    """A ledger of five people run to week NOW, with ``(week, event, people, amount)`` records."""
    by_week: dict[int, list] = defaultdict(list)
    for week, event, people, amount in records:
        by_week[week].append((event, people, amount))
    led = ExperienceLedger(5)
    for week in range(1, NOW + 1):
        led.new_week(week)
        for event, people, amount in by_week[week]:
            led.add(event, people, amount)
    return led


def story(week: int, requester: int, *events: str) -> list[tuple[int, str, list[int], float]]:
    """One request's events, credited as the model credits them: requester and both leaders."""
    return [(week, e, [requester, CMO, CIO], 1.0) for e in events]


def count(led: ExperienceLedger, qid: str, who: str, weeks_on_staff: float = 52.0):
    events, exposures = ledger_counts(led, CMO, CIO, PEOPLE, weeks_on_staff)[(qid, who)]
    return events.tolist(), exposures.tolist()


def says_yes(led: ExperienceLedger, qid: str, who: str, tolerance: float) -> list[bool]:
    events, exposures = count(led, qid, who)
    return (rate_of(np.array(events), np.array(exposures)) > tolerance).tolist()


# Four IT requests and a SaaS tool, closed in the trailing year, and one closed before it.
DELIVERIES = [
    *story(60, M1, "raised_it", "delivered", "delivered_it"),
    *story(61, M1, "delivered_working"),
    *story(70, M1, "raised_it", "reworked", "delivered", "delivered_it", "underdelivered"),
    *story(70, M1, "unclear_requirements", "it_friction"),
    *story(80, M2, "raised_it", "promised_without_it", "delivered", "delivered_it"),
    *story(80, M2, "late", "underdelivered", "it_friction", "delivered_working"),
    *story(90, M2, "raised_it", "unmet", "underdelivered", "not_started_in_time"),
    *story(95, M2, "routed_saas", "violation", "delivered", "saas_live"),
    *story(20, M1, "raised_it", "delivered", "delivered_it", "underdelivered", "late"),
]


def test_need_alignment_cio_is_the_misaligned_share_of_what_reached_it():
    led = ledger(*DELIVERIES)
    # Misaligned: the request redone (its requirements were unclear) and the SaaS tool bought
    # around IT; of four IT requests closed (three delivered in the window, one abandoned) and
    # the tool. The promised request and the late one count elsewhere (promises_without_it,
    # it_underdelivers), not here.
    assert count(led, "need_alignment", "CIO") == ([2.0], [5.0])
    assert says_yes(led, "need_alignment", "CIO", 0.35) == [True]
    assert says_yes(led, "need_alignment", "CIO", 0.45) == [False]


def test_need_alignment_cmo_reads_the_same_misalignment_from_marketings_side():
    led = ledger(*DELIVERIES)
    assert count(led, "need_alignment", "CMO") == count(led, "need_alignment", "CIO")


def test_ready_digital_cio_counts_go_lives_on_the_integrated_stack():
    led = ledger(*DELIVERIES)
    assert count(led, "ready_digital", "CIO") == ([3.0], [4.0])  # three IT of four go-lives
    assert says_yes(led, "ready_digital", "CIO", 0.7) == [True]
    assert says_yes(led, "ready_digital", "CIO", 0.8) == [False]


def test_ready_digital_cmo_counts_initiatives_live_and_working_on_integrated_data():
    led = ledger(*DELIVERIES)
    # Working as meant through IT: two; closed initiatives: four delivered and one abandoned.
    assert count(led, "ready_digital", "CMO") == ([2.0], [5.0])


def test_promises_without_it_for_the_cio_and_for_each_marketer():
    led = ledger(*DELIVERIES)
    assert count(led, "promises_without_it", "CIO") == ([1.0], [4.0])
    # M1 raised two IT requests in the year and promised none; M2 promised one of two.
    assert count(led, "promises_without_it", "marketers") == ([0.0, 1.0], [2.0, 2.0])
    assert says_yes(led, "promises_without_it", "marketers", 0.3) == [False, True]


def test_it_underdelivers_is_the_share_of_its_requests_late_reworked_or_unmet():
    led = ledger(*DELIVERIES)
    assert count(led, "it_underdelivers", "CMO") == ([3.0], [4.0])
    assert says_yes(led, "it_underdelivers", "CMO", 0.7) == [True]


def test_poor_requirements_is_conditional_on_an_under_delivery():
    led = ledger(*DELIVERIES)
    # Of IT's three under-deliveries, one is traced to unclear requirements (the rework).
    assert count(led, "poor_requirements", "CIO") == ([1.0], [3.0])
    # Delivering more on time without rework changes neither: the question is conditional.
    more = ledger(*DELIVERIES, *story(100, M1, "raised_it", "delivered", "delivered_it"))
    assert count(more, "poor_requirements", "CIO") == ([1.0], [3.0])
    # No under-delivery at all: nothing to blame, so no.
    assert says_yes(ledger(), "poor_requirements", "CIO", 0.0) == [False]


def test_ignores_standards_is_the_share_of_acquisitions_that_broke_a_standard():
    led = ledger(*DELIVERIES)
    assert count(led, "ignores_standards", "CIO") == ([1.0], [5.0])  # 4 IT requests, 1 SaaS
    assert says_yes(led, "ignores_standards", "CIO", 0.15) == [True]


def test_relationship_improved_compares_this_years_dealings_with_last_years():
    def leader_year(good_then, bad_then, good_now, bad_now, who=CMO):
        return ledger(
            (10, "good_interaction", who, good_then),
            (10, "bad_interaction", who, bad_then),
            (60, "good_interaction", who, good_now),
            (60, "bad_interaction", who, bad_now),
        )

    # Half good last year, three in four this year: comparisons won 0.5 + (0.75 - 0.5) / 2.
    better = leader_year(2, 2, 3, 1)
    events, exposures = count(better, "relationship_improved", "CMO")
    assert exposures == [16.0] and events[0] / exposures[0] == pytest.approx(0.625)
    same = leader_year(2, 2, 2, 2)
    assert count(same, "relationship_improved", "CMO") == ([8.0], [16.0])
    worse = leader_year(3, 1, 1, 3, who=CIO)
    assert count(worse, "relationship_improved", "CIO") == ([4.0], [16.0])
    assert says_yes(better, "relationship_improved", "CMO", 0.55) == [True]
    assert says_yes(same, "relationship_improved", "CMO", 0.55) == [False]
    # Nothing to compare with: no.
    assert count(ledger((60, "good_interaction", CMO, 5)), "relationship_improved", "CMO")[1] == [
        0.0
    ]


def test_strategic_partners_is_the_share_of_technology_decisions_taken_jointly():
    led = ledger(*DELIVERIES, *story(100, M1, "raised_it", "joint_decision"))
    assert count(led, "strategic_partners", "CMO") == ([1.0], [6.0])  # 5 IT requests, 1 SaaS
    assert count(ledger(*DELIVERIES), "strategic_partners", "CMO") == ([0.0], [5.0])


def test_low_priority_is_the_share_of_requests_not_started_in_time():
    led = ledger(
        *story(60, M1, "it_started"),
        *story(70, M1, "it_started", "not_started_in_time"),
        *story(90, M2, "unmet", "not_started_in_time"),  # abandoned unstarted
        *story(40, M2, "it_started", "not_started_in_time"),  # before the year
    )
    assert count(led, "low_priority", "CMO") == ([2.0], [3.0])
    assert says_yes(led, "low_priority", "CMO", 0.6) == [True]


def test_integration_struggles_is_the_share_of_working_weeks_with_an_unintegrated_tool():
    # M1 holds two tools in weeks 53-78 and one and a bit afterwards; M2 one tool all year.
    records = [(w, "unintegrated_use", M1, 2.0 if w <= 78 else 1.4) for w in range(53, 105)]
    records += [(w, "unintegrated_use", M2, 1.0) for w in range(1, 105)]
    led = ledger(*records)
    assert TOOL_IN_USE == 1.5
    assert count(led, "integration_struggles", "marketers") == ([26.0, 0.0], [52.0, 52.0])
    # A hybrid hired 13 weeks ago worked 13 weeks and struggled in all of them.
    hybrid = ledger(*[(w, "unintegrated_use", M2, 2.0) for w in range(92, 105)])
    events, exposures = ledger_counts(hybrid, CMO, CIO, PEOPLE, np.array([52.0, 13.0]))[
        ("integration_struggles", "marketers")
    ]
    assert rate_of(events, exposures).tolist() == [0.0, 1.0]


def test_competitive_position_is_the_share_of_peers_beaten():
    rows = pd.DataFrame(
        {
            "question": "competitive_position",
            "respondent": "CIO",
            "firm_cx": [60.0, 70.0, 70.0, 80.0],
            "tolerance": [0.5, 0.5, 0.5, 0.9],
            "rate": 0.0,
            "events": 0.0,
            "exposures": 0.0,
            "yes": False,
        }
    )
    out = compare_with_peers(rows)
    np.testing.assert_allclose(out.events, [0.0, 1.5, 1.5, 3.0])
    np.testing.assert_allclose(out.rate, [0.0, 0.5, 0.5, 1.0])
    assert out.yes.tolist() == [False, False, False, True]
    alone = compare_with_peers(rows.iloc[:1])
    assert alone.rate.tolist() == [0.0] and alone.yes.tolist() == [False]


def test_growth_and_margin_are_facts_from_the_accounts():
    model = surveyed(seed=5)
    rates = perceptions(model)
    growth = model.accounts.revenue_growth()
    assert rates[("substantial_growth", "firm")].tolist() == [float(growth >= 0.10)]
    assert set(rates[("margin_growth_5", "firm")].tolist()) <= {0.0, 1.0}
    release(model)


# -- one disposition per respondent; tolerances only lower yes -------------------------------------
@cache
def small_answers() -> pd.DataFrame:
    frames = []
    for seed in range(3):
        model = surveyed(seed=seed)
        frames.append(answer(model).assign(firm=seed))
        release(model)
    return compare_with_peers(pd.concat(frames, ignore_index=True))


def test_one_tolerance_per_respondent_for_every_question():
    answers = small_answers()
    people = answers[answers.respondent != "firm"]
    per_person = people.groupby(["firm", "person"]).agg(
        u=("u", "nunique"), tolerance=("tolerance", "nunique"), questions=("question", "nunique")
    )
    assert (per_person.u == 1).all() and (per_person.tolerance == 1).all()
    # The CIO answers seven questions and the CMO six, each with one tolerance.
    assert sorted(per_person.questions.unique()) == [2, 6, 7]
    # Respondents of one firm have their own dispositions.
    firm0 = people[people.firm == 0].groupby("person").u.first()
    assert firm0.nunique() == len(firm0)


@settings(max_examples=60, deadline=None)
@given(
    means=st.tuples(*[st.floats(0.05, 0.95)] * 3),
    raise_by=st.tuples(*[st.floats(0.0, 0.5)] * 3),
)
def test_raising_every_tolerance_never_raises_a_yes_share(means, raise_by):
    answers = small_answers()
    roles = ("CIO", "CMO", "marketers")
    low = dict(zip(roles, means, strict=True))
    high = {r: min(m + d, 0.95) for (r, m), d in zip(low.items(), raise_by, strict=True)}
    before = shares(reanswer(answers, low), groups=("all",)).set_index(["id", "respondent"])
    after = shares(reanswer(answers, high), groups=("all",)).set_index(["id", "respondent"])
    assert (after.share <= before.share + 1e-12).all()
    # Answer by answer, too: nobody who said no says yes under a higher tolerance.
    became_yes = reanswer(answers, high).yes & ~reanswer(answers, low).yes
    assert not became_yes.any()


def test_higher_tolerance_means_fewer_yes():
    answers = small_answers()
    cio = answers.respondent == "CIO"
    low = reanswer(answers, {"CIO": 0.2})[cio].yes.mean()
    high = reanswer(answers, {"CIO": 0.8})[cio].yes.mean()
    assert low > high
    # The rates do not depend on the tolerance: only the threshold moves.
    a = answer(surveyed(seed=2, tolerance_cio=0.2))
    b = answer(surveyed(seed=2, tolerance_cio=0.8))
    np.testing.assert_allclose(a.rate, b.rate)
    np.testing.assert_allclose(a.u.fillna(-1), b.u.fillna(-1))
    assert (a[a.respondent == "CIO"].tolerance < b[b.respondent == "CIO"].tolerance).all()
    np.testing.assert_allclose(tolerances(np.array([0.5]), 0.5), [0.5])


# -- classifications from measured behaviour -----------------------------------------------------
def _handled_share(model: Organisation) -> float:
    led = model.ledger
    return rate_of(
        led.trailing("handled_together")[model.cio], led.trailing("raised_it")[model.cio]
    )


def test_classifications_come_from_collaboration_measures():
    # Joint planning is measured through the joint decisions it brings, embedded analysts through
    # the requests specified with them; the flag is not read, so a lever that has not started yet
    # does not make the CIO close. Over paired seeds: joint planning raises the share of requests
    # handled together in every firm (about 0.2 to 0.5), which makes the CIO close in some firms
    # and never in a traditional one; an embedded analyst specifies every request.
    seeds = range(6)
    plain = [surveyed(seed=seed) for seed in seeds]
    planning = [surveyed(seed=seed, joint_planning=True) for seed in seeds]
    assert not any(classify(m)[0] for m in plain)
    assert all(_handled_share(a) > _handled_share(b) for a, b in zip(planning, plain, strict=True))
    assert sum(classify(m)[0] for m in planning) >= 2
    assert all(classify(surveyed(seed=seed, embedded_analysts=1))[0] for seed in seeds[:2])
    late = surveyed(seed=1, joint_planning=True, joint_planning_start=69)
    assert classify(late)[0] is False and classify(planning[1])[0] is True
    plain = plain[4]
    _, savvy = classify(plain)
    skill = plain.staff.tech_skill[plain.marketing_rows]
    assert not savvy[skill < 0.45].any()  # savvy needs technology skill...
    hybrids = surveyed(seed=4, hybrid_hires=3, colocation=1.0, office_layout="same_floor")
    assert classify(hybrids)[1].sum() > savvy.sum()  # ...and cross-department contact


# -- directional tests over paired seeds -----------------------------------------------------------
PAIRED = tuple(range(16))


def _item_rates(overrides: tuple[tuple[str, object], ...], seed: int) -> dict:
    model = surveyed(seed=seed, weeks=104, **dict(overrides))
    try:
        return {item: float(np.mean(rate)) for item, rate in perceptions(model).items()}
    finally:
        release(model)


_RATES: dict[tuple, list[dict]] = {}  # scenario -> item rates per paired seed, computed once


@pytest.fixture(scope="module")
def rates():
    """``rates(item, **overrides)``: the item's mean rate on every paired seed (104 weeks)."""
    with ProcessPoolExecutor(max_workers=2) as pool:

        def item(item: tuple[str, str], **overrides) -> np.ndarray:
            key = tuple(sorted(overrides.items()))
            if key not in _RATES:
                _RATES[key] = list(pool.map(_item_rates, [key] * len(PAIRED), PAIRED))
            return np.array([r[item] for r in _RATES[key]])

        yield item


@pytest.mark.slow
@pytest.mark.parametrize(
    ("item", "overrides", "control", "sign"),
    [
        # Joint planning: decisions taken jointly, fewer promises over IT's head.
        (("strategic_partners", "CMO"), {"joint_planning": True}, {}, +1),
        (("promises_without_it", "CIO"), {"joint_planning": True}, {}, -1),
        (("promises_without_it", "marketers"), {"joint_planning": True}, {}, -1),
        # The conditional share: when IT works faster for marketing (shared metrics), fewer
        # deliveries are late, so more of what under-delivers is traced to requirements. (Clarity
        # levers lower reworks, the numerator, but reworks are under-deliveries too, so the
        # share moves less than its noise: -0.02 [-0.07, +0.02] with glossary and early IT.)
        (("poor_requirements", "CIO"), {"shared_metrics": 1.0}, {}, +1),
        (("need_alignment", "CIO"), {"shared_glossary": True}, {}, -1),
        # Shared metrics: IT gives marketing more of its effort, so work starts sooner.
        (("low_priority", "CMO"), {"shared_metrics": 1.0}, {}, -1),
        (("it_underdelivers", "CMO"), {"shared_metrics": 1.0}, {}, -1),
        # Forbidding SaaS makes every purchase a breach of the standards.
        (("ignores_standards", "CIO"), {"saas_policy": "forbid"}, {"saas_policy": "guidelines"}, 1),
        # Laissez-faire: more tools around IT, so more silos and fewer integrated go-lives.
        (("integration_struggles", "marketers"), {"saas_policy": "laissez-faire"}, {}, +1),
        (("ready_digital", "CIO"), {"saas_policy": "laissez-faire"}, {}, -1),
        # A glossary introduced after the first year: this year's dealings beat last year's.
        (
            ("relationship_improved", "CIO"),
            {"shared_glossary": True, "shared_glossary_start": 52},
            {},
            +1,
        ),
    ],
)
def test_answers_follow_the_levers(rates, item, overrides, control, sign):
    require_effect(
        paired_difference(rates(item, **overrides), rates(item, **control)),
        sign,
        f"{item} with {overrides} against {control or 'the baseline'}",
    )


# -- the industry population -----------------------------------------------------------------------
def test_population_draws_are_reproducible_and_valid():
    population = load_population("industry_2016")
    a, b = population.draw(20, 5), population.draw(20, 5)
    assert a == b and a != population.draw(20, 6)
    assert {f["office_layout"] for f in population.draw(200, 1)} == {
        "same_floor",
        "separate_floors",
        "separate_buildings",
    }
    used = np.mean([f["shared_metrics"] > 0 for f in population.draw(400, 2)])
    assert 0.12 < used < 0.28  # the file says 20% of firms


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[draw.shared_metric]\ndist = 'uniform'\nlow = 0.0\nhigh = 1.0\n", "shared_metrics"),
        ("[draw.shared_metrics]\ndist = 'triangle'\n", "dist = one of"),
        ("[draw.shared_metrics]\ndist = 'uniform'\nlow = 0.0\n", "missing high"),
        ("[draw.shared_metrics]\ndist = 'uniform'\nlow = 0.5\nhigh = 3.0\n", "out of range"),
        ("[draw.joint_planning]\ndist = 'bernoulli'\nshare = 1.5\n", "between 0 and 1"),
    ],
)
def test_bad_population_file(tmp_path, content, expected):
    path = tmp_path / "pop.toml"
    path.write_text('name = "p"\n' + content)
    with pytest.raises(ScenarioError, match=expected):
        load_population(str(path))


def test_survey_shares_with_intervals_and_splits():
    population = load_population("industry_2016").with_overrides(**SMALL, weeks=70, survey_week=70)
    answers = run_survey(population, n_firms=6, seed=1, workers=2)
    table = shares(answers)
    assert set(zip(table.id, table.respondent, strict=True)) == set(ITEMS)
    everyone = table[table.group == "all"]
    assert (everyone.n > 0).all() and everyone.share.between(0, 1).all()
    assert (everyone.low <= everyone.share).all() and (everyone.share <= everyone.high).all()
    splits = table[table.group.isin(["close_collaborators", "others"])]
    for (qid, who), item in splits.groupby(["id", "respondent"]):
        total = everyone[(everyone.id == qid) & (everyone.respondent == who)].n.iloc[0]
        assert item.n.sum() == total
    assert set(table[table.group == "tech_savvy"].respondent) == {"marketers"}
    # Against its peers: each CIO compares its firm with the five others.
    peers = answers[answers.question == "competitive_position"]
    assert (peers.exposures == 5).all() and peers.rate.sum() == pytest.approx(3.0)


def test_wilson_interval():
    low, high = wilson(40, 100)
    assert low == pytest.approx(0.3094, abs=1e-3) and high == pytest.approx(0.4980, abs=1e-3)
    assert all(np.isnan(wilson(0, 0)))


def test_survey_cli(capsys, tmp_path):
    out = tmp_path / "shares.csv"
    population = tmp_path / "small.toml"
    population.write_text(
        'name = "small"\n[fixed]\nweeks = 70\nsurvey_week = 70\nn_marketers = 8\n'
        'n_technologists = 8\nn_customers = 400\n[draw.shared_metrics]\ndist = "use"\n'
        "share = 0.5\nlow = 0.2\nhigh = 0.8\n"
    )
    assert (
        main(["survey", str(population), "--firms", "4", "--workers", "1", "-q", "--out", str(out)])
        == 0
    )
    printed = capsys.readouterr().out
    assert all(q.id in printed for q in QUESTIONS) and "Wilson" in printed
    assert len(pd.read_csv(out)) > 0
    assert main(["survey", "no_such_population"]) == 2
    assert "unknown population" in capsys.readouterr().err


def test_survey_week_is_a_parameter():
    assert FIELDS["survey_week"].default == 104


def test_a_survey_week_too_early_for_the_questions_is_refused_up_front(tmp_path):
    from sim.model.parameters import ParameterError, Parameters
    from sim.survey.instrument import MIN_HISTORY

    assert FIELDS["survey_week"].metadata["range"][0] == MIN_HISTORY
    with pytest.raises(ParameterError, match="survey_week"):
        Parameters(survey_week=MIN_HISTORY - 1)
    pop = tmp_path / "early.toml"
    pop.write_text(
        'name = "early"\n[fixed]\nweeks = 70\nsurvey_week = 56\n'
        '[draw.shared_metrics]\ndist = "use"\nshare = 0.3\nlow = 0.2\nhigh = 0.6\n'
    )
    with pytest.raises(ScenarioError, match=r"early.toml.*survey_week=56 is out of range"):
        load_population(str(pop))


def test_a_wider_spread_of_dispositions_pulls_every_share_towards_a_half():
    """Re-answering with less alike respondents (a lower concentration) moves a rare yes up and
    a common yes down: one spread parameter for every item."""
    n = 400
    u = (np.arange(n) + 0.5) / n
    frame = pd.DataFrame(
        {
            "respondent": "CIO",
            "u": np.concatenate([u, u]),
            "rate": np.concatenate([np.full(n, 0.2), np.full(n, 0.8)]),
            "tolerance": 0.0,
            "yes": False,
        }
    )
    share = {}
    for k in (50.0, 2.0):
        yes = reanswer(frame, {"CIO": 0.5}, k).yes.to_numpy()
        share[k] = (yes[:n].mean(), yes[n:].mean())
    assert share[2.0][0] > share[50.0][0] + 0.1  # rare gets commoner
    assert share[2.0][1] < share[50.0][1] - 0.1  # common gets rarer
