"""Distances on the Earth between two WGS-84 coordinates: the check-in's distance to the customer's site.

Pure: floats or Decimals in, metres out, no Django import. A sphere of the WGS-84 mean radius is
within 0.5% of the ellipsoid everywhere, far finer than a phone's fix or "is the rep at the
customer" needs. `far_term` gives the same rule as a threshold on the haversine term, for SQL
that cannot take an arc sine on every database (scoring's dashboard counts far check-ins so).
"""

from decimal import Decimal
from math import asin, cos, pi, radians, sin, sqrt

EARTH_RADIUS_M = 6_371_008.8  # the WGS-84 mean radius (IUGG R1)

Degrees = float | Decimal


def haversine_term(lat1: Degrees, lng1: Degrees, lat2: Degrees, lng2: Degrees) -> float:
    """sin²(Δφ/2) + cos φ1 · cos φ2 · sin²(Δλ/2): 0 for the same point, 1 for antipodes."""
    phi1, phi2 = radians(float(lat1)), radians(float(lat2))
    d_phi = phi2 - phi1
    d_lambda = radians(float(lng2) - float(lng1))
    term = sin(d_phi / 2) ** 2 + cos(phi1) * cos(phi2) * sin(d_lambda / 2) ** 2
    return min(1.0, max(0.0, term))  # rounding can step just outside [0, 1] near the ends


def distance_m(lat1: Degrees, lng1: Degrees, lat2: Degrees, lng2: Degrees) -> float:
    """The great-circle distance in metres (haversine), from degrees of latitude and longitude."""
    return 2 * EARTH_RADIUS_M * asin(sqrt(haversine_term(lat1, lng1, lat2, lng2)))


def far_term(max_m: float) -> float:
    """The haversine term of `max_m` metres: a pair of points is farther apart than `max_m`
    exactly when its `haversine_term` is greater than this (the term grows with the distance)."""
    if max_m >= pi * EARTH_RADIUS_M:
        return 1.0
    return sin(max(0.0, max_m) / (2 * EARTH_RADIUS_M)) ** 2
