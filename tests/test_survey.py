"""The survey instrument and the industry population: every question answered by every listed
respondent, rates in [0, 1], at most three tolerance parameters, the classifications from
collaboration measures only, perceptions that move the right way with the levers, populations
that are validated and reproducible, shares with binomial intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.model.model import Organisation
from sim.model.parameters import FIELDS
from sim.results.stats import paired_difference, require_effect
from sim.runs.runner import release
from sim.runs.scenarios import ScenarioError
from sim.survey.instrument import ITEMS, QUESTIONS, SurveyError, answer, classify, perceptions
from sim.survey.population import load_population, run_survey, shares, wilson

SMALL = {"n_marketers": 10, "n_technologists": 10, "n_customers": 500}


def surveyed(seed: int = 1, weeks: int = 70, **overrides) -> Organisation:
    model = Organisation(seed=seed, weeks=weeks, **{**SMALL, **overrides})
    model.run()
    return model


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
    marketers = answers[answers.respondent == "marketers"]
    assert marketers.groupby("question").size().eq(10).all()  # one answer per marketer
    assert (answers[answers.respondent == "firm"].tolerance.isna()).all()


def test_at_most_three_tolerance_parameters():
    tolerances = [
        n
        for n, f in FIELDS.items()
        if f.metadata["group"] == "survey" and n.startswith("tolerance")
    ]
    assert len(tolerances) <= 3
    assert not any(q.id in n for q in QUESTIONS for n in FIELDS)  # no parameter per question


def test_survey_needs_a_year_of_history():
    model = Organisation(seed=1, weeks=20, **SMALL).run()
    with pytest.raises(SurveyError, match="at least"):
        perceptions(model)
    release(model)


def test_same_firm_same_answers():
    a, b = surveyed(seed=3), surveyed(seed=3)
    pd.testing.assert_frame_equal(answer(a), answer(b))


def test_higher_tolerance_means_fewer_yes():
    low = answer(surveyed(seed=2, tolerance_cio=0.2))
    high = answer(surveyed(seed=2, tolerance_cio=0.8))

    def cio(df):
        return df[df.respondent == "CIO"].yes.mean()

    assert cio(low) > cio(high)
    # The rates themselves do not depend on the tolerance: only the threshold moves.
    np.testing.assert_allclose(low.rate, high.rate)


def test_classifications_come_from_collaboration_measures():
    plain = surveyed(seed=4)
    assert classify(plain)[0] is False
    assert classify(surveyed(seed=4, joint_planning=True))[0] is True
    assert classify(surveyed(seed=4, embedded_analysts=1))[0] is True
    _, savvy = classify(plain)
    skill = plain.staff.tech_skill[plain.marketing_rows]
    assert not savvy[skill < 0.45].any()  # savvy needs technology skill...
    hybrids = surveyed(seed=4, hybrid_hires=3, colocation=1.0, office_layout="same_floor")
    assert classify(hybrids)[1].sum() > savvy.sum()  # ...and cross-department contact


PAIRED = range(12)


def rates(item, **overrides):
    out = []
    for seed in PAIRED:
        model = surveyed(seed=seed, **overrides)
        out.append(float(np.mean(perceptions(model)[item])))
        release(model)
    return np.array(out)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("item", "overrides", "sign"),
    [
        (("promises_without_it", "CIO"), {"joint_planning": True}, -1),
        (("need_alignment", "CIO"), {"shared_metrics": 1.0}, -1),
        (("low_priority", "CMO"), {"shared_metrics": 1.0}, -1),
        (("ignores_standards", "CIO"), {"saas_policy": "guidelines"}, -1),
        (("integration_struggles", "marketers"), {"saas_policy": "laissez-faire"}, +1),
        (("poor_requirements", "CIO"), {"shared_glossary": True, "hybrid_hires": 3}, -1),
        (("strategic_partners", "CMO"), {"joint_planning": True}, +1),
    ],
)
def test_perceptions_follow_the_levers(item, overrides, sign):
    require_effect(
        paired_difference(rates(item, **overrides), rates(item)),
        sign,
        f"perceived {item} with {overrides}",
    )


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
