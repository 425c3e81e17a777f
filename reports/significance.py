"""Which variant of an A/B test wins on click rate (issue 28): a two-proportion z-test for two
variants, Pearson's chi-squared test of the k x 2 table for three or four, Wilson score
intervals for each rate.

Pure Python on `math` alone (no Django, no SciPy): the product's workers and the benchmark call
it alike. The chi-squared survival function has closed forms for 1, 2 and 3 degrees of freedom,
which is all 2 to 4 variants need:

    df 1: erfc(sqrt(x / 2))
    df 2: exp(-x / 2)
    df 3: erfc(sqrt(x / 2)) + sqrt(2x / pi) * exp(-x / 2)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_ARMS = 4  # the closed forms above stop at df 3


@dataclass(frozen=True)
class Arm:
    """One variant's figures."""
    label: str
    reached: int  # accounts the push reached (delivered)
    clicks: int


@dataclass(frozen=True)
class Decision:
    winner: int | None  # index into arms of the winner, None when nothing wins
    reason: str  # "significant" | "not_significant" | "too_few"
    p_value: float | None  # None when "too_few"
    rates: list[float]  # clicks / reached per arm (0.0 when reached is 0)
    intervals: list[tuple[float, float]]  # Wilson score interval per arm at 1 - significance


def decide(arms: list[Arm], *, significance: float, min_sample: int) -> Decision:
    """The test's decision. "too_few" when any arm reached fewer than `min_sample` accounts;
    else "significant" when the p-value is below `significance`, the winner being the arm with
    the highest click rate (the first of them if two share it exactly), else
    "not_significant". With three or four arms a significant result says the rates are not all
    equal; the winner is the best of them, not proven better than the runner-up."""
    _check(arms)
    if not 0 < significance < 1:
        raise ValueError("significance must lie between 0 and 1")
    rates = [rate(arm) for arm in arms]
    intervals = [wilson_interval(arm.clicks, arm.reached, confidence=1 - significance)
                 for arm in arms]
    if any(arm.reached < min_sample for arm in arms):
        return Decision(None, "too_few", None, rates, intervals)
    p_value = chi_squared_p_value(arms)
    if p_value < significance:
        return Decision(rates.index(max(rates)), "significant", p_value, rates, intervals)
    return Decision(None, "not_significant", p_value, rates, intervals)


def rate(arm: Arm) -> float:
    return arm.clicks / arm.reached if arm.reached else 0.0


def chi_squared_p_value(arms: list[Arm]) -> float:
    """The p-value of "every arm has the same click rate". Two arms: the pooled two-proportion
    z-test, two-sided (the 2 x 2 chi-squared test without continuity correction: z² = χ²).
    Three or four: Pearson's chi-squared test of the k x 2 table (clicked / not clicked),
    df = k - 1. An arm that reached nobody is no row of the table; a table with no variation
    (no clicks at all, or everyone clicked, or fewer than two rows) gives p = 1.0."""
    _check(arms)
    rows = [arm for arm in arms if arm.reached]
    reached = sum(arm.reached for arm in rows)
    clicks = sum(arm.clicks for arm in rows)
    if len(rows) < 2 or clicks == 0 or clicks == reached:
        return 1.0
    if len(rows) == 2:
        return math.erfc(abs(_pooled_z(*rows)) / math.sqrt(2))
    return chi_squared_survival(_pearson_statistic(rows), len(rows) - 1)


def _pooled_z(first: Arm, second: Arm) -> float:
    pooled = (first.clicks + second.clicks) / (first.reached + second.reached)
    error = math.sqrt(pooled * (1 - pooled) * (1 / first.reached + 1 / second.reached))
    return (rate(first) - rate(second)) / error


def _pearson_statistic(rows: list[Arm]) -> float:
    """Σ (observed - expected)² / expected over the k x 2 table's cells."""
    reached = sum(arm.reached for arm in rows)
    share = sum(arm.clicks for arm in rows) / reached
    statistic = 0.0
    for arm in rows:
        for observed, expected in ((arm.clicks, arm.reached * share),
                                   (arm.reached - arm.clicks, arm.reached * (1 - share))):
            statistic += (observed - expected) ** 2 / expected
    return statistic


def chi_squared_survival(statistic: float, df: int) -> float:
    """P(χ² ≥ statistic) with `df` degrees of freedom, 1 to 3 (closed forms)."""
    if statistic <= 0:
        return 1.0
    half = statistic / 2
    if df == 1:
        return math.erfc(math.sqrt(half))
    if df == 2:
        return math.exp(-half)
    if df == 3:
        return math.erfc(math.sqrt(half)) + math.sqrt(2 * statistic / math.pi) * math.exp(-half)
    raise ValueError("closed forms exist for 1 to 3 degrees of freedom only")


def wilson_interval(clicks: int, reached: int, *, confidence: float) -> tuple[float, float]:
    """Wilson's score interval for a click rate: unlike p ± z·se it stays within 0 and 1 and
    is sound for small counts and rates near 0. Nobody reached: (0.0, 1.0), nothing known."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie between 0 and 1")
    if reached == 0:
        return (0.0, 1.0)
    z = normal_quantile(1 - (1 - confidence) / 2)
    share = clicks / reached
    scale = 1 + z * z / reached
    centre = (share + z * z / (2 * reached)) / scale
    half_width = z / scale * math.sqrt(share * (1 - share) / reached
                                       + z * z / (4 * reached * reached))
    return (max(0.0, centre - half_width), min(1.0, centre + half_width))


def normal_quantile(probability: float) -> float:
    """The standard normal z with P(Z ≤ z) = probability, for probability in [0.5, 1): found by
    bisection on math.erfc (the survival function is 0.5·erfc(z/√2)) to within 1e-12."""
    if not 0.5 <= probability < 1:
        raise ValueError("probability must lie in [0.5, 1)")
    tail = 1 - probability
    low, high = 0.0, 40.0
    while high - low > 1e-12:
        middle = (low + high) / 2
        if 0.5 * math.erfc(middle / math.sqrt(2)) > tail:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _check(arms: list[Arm]) -> None:
    if not 2 <= len(arms) <= MAX_ARMS:
        raise ValueError(f"an A/B test compares 2 to {MAX_ARMS} variants, not {len(arms)}")
    for arm in arms:
        if not 0 <= arm.clicks <= arm.reached:
            raise ValueError(f"{arm.label}: clicks must lie between 0 and the accounts reached")
