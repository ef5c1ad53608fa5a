"""The Parameters dataclass: defaults, immutability, validation messages, text coercion, lever
start weeks, and the flat keyword and seed handling of Organisation (STYLE.md, point 2)."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest

from sim.model.model import Organisation
from sim.model.parameters import (
    DEFAULTS,
    FIELDS,
    LEVERS,
    OFFICE_LAYOUTS,
    SAAS_POLICIES,
    ParameterError,
    Parameters,
    coerce,
)

SMALL = {"n_marketers": 5, "n_technologists": 5, "n_customers": 300}


# -- defaults and immutability ---------------------------------------------------------------


def test_defaults_construct_and_match_field_metadata():
    p = Parameters()
    assert p == DEFAULTS
    assert list(p.as_dict()) == list(FIELDS)
    for name, f in FIELDS.items():
        assert getattr(p, name) == f.default, name


def test_defaults_describe_a_traditional_firm():
    p = Parameters()
    off = {name: FIELDS[name].default for name in LEVERS}
    assert off["shared_metrics"] == 0.0
    assert off["colocation"] == 0.0
    assert off["hybrid_hires"] == 0
    assert off["shared_glossary"] is False
    assert p.saas_policy in SAAS_POLICIES
    assert p.office_layout in OFFICE_LAYOUTS
    assert p.office_layout != "same_floor"


def test_every_field_documents_its_range_or_choices():
    for name, f in FIELDS.items():
        meta = f.metadata
        assert meta["doc"].strip(), f"{name} has no doc"
        is_bool = f.type in (bool, "bool")
        if meta["choices"] is None and not is_bool:
            lo, hi = meta["range"]
            assert lo is not None and hi is not None and lo <= f.default <= hi, name


def test_parameters_are_frozen():
    p = Parameters()
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.shared_metrics = 0.5  # type: ignore[misc]
    assert p.shared_metrics == 0.0


def test_replace_returns_a_validated_copy():
    p = Parameters()
    q = p.replace(shared_metrics=0.4)
    assert q.shared_metrics == 0.4
    assert p.shared_metrics == 0.0
    with pytest.raises(ParameterError, match="shared_metrics"):
        p.replace(shared_metrics=1.4)


# -- unknown names ------------------------------------------------------------------------------


def test_unknown_name_suggests_the_closest_valid_name():
    with pytest.raises(ParameterError) as info:
        Parameters.from_flat(shared_metric=0.5)
    message = str(info.value)
    assert "'shared_metric'" in message
    assert "did you mean shared_metrics" in message


def test_unknown_name_through_replace_is_refused_too():
    with pytest.raises(ParameterError, match="did you mean colocation"):
        Parameters().replace(colocaton=0.5)


def test_unknown_name_far_from_any_field_points_to_the_list():
    with pytest.raises(ParameterError, match="orgsim params"):
        Parameters.from_flat(zzzqqq=1)


def test_parameter_error_is_a_value_error():
    assert issubclass(ParameterError, ValueError)


# -- ranges and types -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "fragments"),
    [
        ("shared_metrics", 1.5, ["shared_metrics", "1.5", "0.0", "1.0"]),
        ("shared_metrics", -0.1, ["shared_metrics", "-0.1", "0.0", "1.0"]),
        ("n_marketers", 0, ["n_marketers=0", "1", "2000", "whole number"]),
        ("cross_training", 41.0, ["cross_training", "41.0", "40.0", "hours/person/month"]),
        ("hybrid_hires", 501, ["hybrid_hires", "501", "500"]),
    ],
)
def test_out_of_range_message_names_parameter_value_and_range(name, value, fragments):
    with pytest.raises(ParameterError, match="out of range") as info:
        Parameters(**{name: value})
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_range_bounds_are_inclusive():
    p = Parameters(shared_metrics=0.0, colocation=1.0, n_marketers=1, hybrid_hires=500)
    assert (p.shared_metrics, p.colocation, p.n_marketers, p.hybrid_hires) == (0.0, 1.0, 1, 500)


def test_nan_is_refused_as_out_of_range():
    with pytest.raises(ParameterError, match="shared_metrics"):
        Parameters(shared_metrics=float("nan"))


def test_choice_outside_the_list_names_the_choices():
    with pytest.raises(ParameterError) as info:
        Parameters(saas_policy="ban")
    message = str(info.value)
    assert "saas_policy='ban'" in message
    for choice in SAAS_POLICIES:
        assert repr(choice) in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("shared_metrics", "0.5"),  # a string for a float
        ("shared_metrics", True),  # a bool for a float
        ("n_marketers", True),  # a bool for an int
        ("n_marketers", 10.0),  # a float for an int
        ("n_marketers", "10"),  # a string for an int
        ("shared_glossary", 1),  # an int for a bool
        ("shared_glossary", "true"),  # a string for a bool
        ("saas_policy", 1),  # an int for a choice
    ],
)
def test_wrong_type_is_refused(name, value):
    with pytest.raises(ParameterError, match=re.escape(f"{name}={value!r} has the wrong type")):
        Parameters(**{name: value})


def test_an_int_is_accepted_for_a_float():
    assert Parameters(shared_metrics=1).shared_metrics == 1


# -- coercion from text ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("n_marketers", "12", 12),
        ("n_marketers", " 12 ", 12),
        ("n_marketers", 12.0, 12),
        ("shared_metrics", "0.25", 0.25),
        ("shared_metrics", "1", 1.0),
        ("shared_metrics", 1, 1.0),
        ("shared_glossary", "true", True),
        ("shared_glossary", "Yes", True),
        ("shared_glossary", "on", True),
        ("shared_glossary", "1", True),
        ("shared_glossary", "FALSE", False),
        ("shared_glossary", "no", False),
        ("shared_glossary", "0", False),
        ("saas_policy", "guidelines", "guidelines"),
    ],
)
def test_coerce_reads_text(name, text, expected):
    value = coerce(name, text)
    assert value == expected
    assert type(value) is type(expected)
    assert getattr(Parameters.from_flat({name: text}), name) == expected


@pytest.mark.parametrize(
    ("name", "text", "fragment"),
    [
        ("n_marketers", "3.5", "a whole number from 1 to 2000"),
        ("n_marketers", "ten", "a whole number from 1 to 2000"),
        ("shared_metrics", "abc", "a number from 0.0 to 1.0"),
        ("shared_metrics", "", "a number from 0.0 to 1.0"),
        ("shared_glossary", "maybe", "true or false"),
    ],
)
def test_coerce_refuses_junk_with_a_clear_message(name, text, fragment):
    with pytest.raises(ParameterError) as info:
        coerce(name, text)
    message = str(info.value)
    assert f"{name}={text!r} cannot be read" in message
    assert fragment in message


def test_coerce_accepts_numpy_scalars():
    assert coerce("hybrid_hires", np.int64(2)) == 2
    assert type(coerce("hybrid_hires", np.int64(2))) is int
    assert coerce("shared_glossary", np.bool_(True)) is True
    model = Organisation(seed=1, hybrid_hires=np.int64(2), **SMALL)
    assert model.p.hybrid_hires == 2


def test_coerce_refuses_an_unknown_name():
    with pytest.raises(ParameterError, match="did you mean shared_metrics"):
        coerce("shared_metric", "0.5")


def test_coerced_text_is_still_range_checked():
    with pytest.raises(ParameterError, match="out of range"):
        Parameters.from_flat(shared_metrics="2")


# -- lever start weeks ----------------------------------------------------------------------------


def test_lever_value_is_the_default_before_the_start_week_and_the_set_value_from_it():
    p = Parameters(
        shared_metrics=0.6,
        shared_metrics_start=10,
        saas_policy="guidelines",
        saas_policy_start=5,
        shared_glossary=True,
        shared_glossary_start=0,
    )
    assert p.lever_value("shared_metrics", 0) == 0.0
    assert p.lever_value("shared_metrics", 9) == 0.0
    assert p.lever_value("shared_metrics", 10) == 0.6
    assert p.lever_value("shared_metrics", 100) == 0.6
    assert p.lever_value("saas_policy", 4) == FIELDS["saas_policy"].default
    assert p.lever_value("saas_policy", 5) == "guidelines"
    assert p.lever_value("shared_glossary", 0) is True


def test_every_lever_has_a_start_week():
    for name in LEVERS:
        assert f"{name}_start" in FIELDS, name
        assert FIELDS[f"{name}_start"].metadata["group"] == "lever start"


def test_a_late_lever_is_not_in_force_in_the_model_before_its_start():
    model = Organisation(seed=1, shared_metrics=0.8, shared_metrics_start=3, **SMALL)
    model.run(2)
    assert model.lever("shared_metrics") == 0.0
    model.run(1)
    assert model.lever("shared_metrics") == 0.8


# -- Organisation keywords and seeds ---------------------------------------------------------------


def test_organisation_takes_flat_keywords():
    model = Organisation(seed=1, shared_metrics=0.5, hybrid_hires=2, **SMALL)
    assert model.p.shared_metrics == 0.5
    assert model.p.n_marketers == 5
    assert len(model.staff) == 5 + 5 + 2 + 2


def test_organisation_reads_text_keywords_like_a_browser_field():
    model = Organisation(seed=1, shared_metrics="0.5", shared_glossary="yes", **SMALL)
    assert model.p.shared_metrics == 0.5
    assert model.p.shared_glossary is True


def test_organisation_keywords_override_a_parameter_set():
    base = Parameters(colocation=0.3, **SMALL)
    model = Organisation(base, seed=1, shared_metrics=0.2)
    assert (model.p.colocation, model.p.shared_metrics) == (0.3, 0.2)


def test_organisation_refuses_an_unknown_keyword():
    with pytest.raises(ParameterError, match="'bogus'"):
        Organisation(bogus=1)
    with pytest.raises(ParameterError, match="did you mean shared_metrics"):
        Organisation(shared_metric=0.5)


def test_organisation_refuses_an_out_of_range_keyword():
    with pytest.raises(ParameterError, match=re.escape("colocation=1.5 is out of range")):
        Organisation(colocation=1.5)


def _frame(seed, **extra):
    return Organisation(seed=seed, **SMALL, **extra).run(8).weekly()


def test_seed_given_as_text_or_whole_float_reproduces_the_integer_seed():
    reference = _frame(7)
    for seed in ("7", " 7 ", 7.0):
        model = Organisation(seed=seed, **SMALL)
        assert model.seed == 7
        assert type(model.seed) is int
        pd.testing.assert_frame_equal(model.run(8).weekly(), reference)
    pd.testing.assert_frame_equal(_frame(None, rng=7), reference)
    assert not _frame(8).equals(reference)


def test_a_missing_seed_is_drawn_and_kept_for_reproduction():
    model = Organisation(**SMALL)
    assert isinstance(model.seed, int)
    again = Organisation(seed=model.seed, **SMALL)
    pd.testing.assert_frame_equal(model.run(5).weekly(), again.run(5).weekly())


@pytest.mark.parametrize("seed", ["abc", "7.5", 7.5, -1, True, 2**63, [7]])
def test_junk_seed_is_refused(seed):
    with pytest.raises(ParameterError, match="seed="):
        Organisation(seed=seed, **SMALL)
