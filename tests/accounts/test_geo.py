"""The check-in distance (accounts.geo): haversine on the WGS-84 mean radius, hand-worked cases."""

from decimal import Decimal
from math import pi

import pytest

from accounts.geo import EARTH_RADIUS_M, distance_m, far_term, haversine_term

# One degree of arc on the sphere: R·π/180 = 6,371,008.8 × 0.01745329252 = 111,195.080 m.
DEGREE_M = 111_195.080


@pytest.mark.parametrize(
    ("a", "b", "expected_m", "tolerance_m"),
    [
        # The same point, anywhere: nothing.
        ((31.2304, 121.4737), (31.2304, 121.4737), 0.0, 0.0),
        ((-90, 0), (-90, 0), 0.0, 0.0),
        # Along a meridian the distance is R·Δφ: one degree, and a thousandth of one (~111 m).
        ((0, 0), (1, 0), DEGREE_M, 0.001),
        ((30, 120), (30.001, 120), 111.195, 0.001),
        # Along a parallel, for small Δλ: R·Δλ·cos φ; at 60° north, cos φ = ½ → 55.598 m.
        ((60, 10), (60, 10.001), 55.598, 0.001),
        # A quarter of the equator and the antipodes: πR/2 and πR = 20,015,114.442 m.
        ((0, 0), (0, 90), pi * EARTH_RADIUS_M / 2, 0.001),
        ((0, 0), (0, 180), pi * EARTH_RADIUS_M, 0.001),
        ((0, -179.9), (0, 179.9), 0.2 * DEGREE_M, 0.001),  # across the date line, the short way
        # 天安门 (39.9087, 116.3975) to 上海人民广场 (31.2304, 121.4737): Δφ = −8.6783°,
        # Δλ = 5.0762°; sin²(Δφ/2) = 0.0057244, cos φ1·cos φ2 = 0.6559114, sin²(Δλ/2) = 0.0019610;
        # term = 0.0057244 + 0.6559114 × 0.0019610 = 0.0070107; 2·asin(√term) = 0.1676564 rad;
        # × R = 1,068,140 m (the spherical law of cosines gives the same to the millimetre).
        ((39.9087, 116.3975), (31.2304, 121.4737), 1_068_140.343, 0.01),
    ],
)
def test_distance(a, b, expected_m, tolerance_m):
    assert distance_m(*a, *b) == pytest.approx(expected_m, abs=tolerance_m)
    assert distance_m(*b, *a) == pytest.approx(expected_m, abs=tolerance_m)  # symmetric


def test_decimal_coordinates_as_stored():
    # The columns hold six decimals (about 10 cm); a check-in about 100 m north of 人民广场.
    site = (Decimal("31.230400"), Decimal("121.473700"))
    check_in = (Decimal("31.231300"), Decimal("121.473700"))
    assert distance_m(*site, *check_in) == pytest.approx(0.0009 * DEGREE_M, abs=0.001)  # 100.076 m


@pytest.mark.parametrize("max_m", [1, 100, 1000, 5000, 250_000])
def test_far_term_draws_the_line_where_the_distance_does(max_m):
    # Points due north of 人民广场, just inside and just outside the limit.
    step = 180 / (pi * EARTH_RADIUS_M)  # degrees of latitude per metre
    inside = haversine_term(31.2304, 121.4737, 31.2304 + (max_m - 0.01) * step, 121.4737)
    outside = haversine_term(31.2304, 121.4737, 31.2304 + (max_m + 0.01) * step, 121.4737)
    assert inside < far_term(max_m) < outside


def test_far_term_at_the_ends():
    assert far_term(0) == 0.0
    assert far_term(1000) == pytest.approx(6.159190e-09, rel=1e-6)  # sin²(1000 / 2R)
    assert far_term(pi * EARTH_RADIUS_M) == 1.0  # nothing on Earth is farther
    assert far_term(10**9) == 1.0
    assert haversine_term(0, 0, 0, 180) == 1.0
