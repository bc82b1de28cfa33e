"""The engine names its categories in plain tuples (it imports no Django); the customer's
columns store them through model choices. The two lists must be the same, in the same order
(the engine's order is the ranking order: platinum before gold, A before B), so neither can
gain, lose or rename a category without the other."""

import pytest

from accounts.models import (
    AbcClass,
    CustomerStanding,
    LifecycleStage,
    MatrixQuadrant,
    SizeClass,
    Tier,
    ValueClass,
)
from scoring import engine
from scoring.models import ScoringModel


@pytest.mark.parametrize(
    ("engine_values", "choices", "column"),
    [
        (engine.TIERS, Tier, "tier"),
        (engine.ABC, AbcClass, "abc_class"),
        (engine.SIZE_CLASSES, SizeClass, "size_class"),
        (engine.VALUE_CLASSES, ValueClass, "value_class"),
        (engine.QUADRANTS, MatrixQuadrant, "matrix_quadrant"),
        (engine.LIFECYCLE, LifecycleStage, "lifecycle_stage"),
    ],
)
def test_engine_categories_equal_the_model_choices(engine_values, choices, column):
    assert tuple(engine_values) == tuple(choices.values)
    stored = CustomerStanding._meta.get_field(column)
    assert [value for value, _label in stored.choices] == list(choices.values)
    assert max(len(value) for value in engine_values) <= stored.max_length


def test_every_engine_dimension_has_a_weight_in_the_scoring_model():
    weights = {
        f.name.removeprefix("weight_") for f in ScoringModel._meta.fields if f.name.startswith("weight_")
    }
    assert weights == set(engine.DIMENSIONS)
