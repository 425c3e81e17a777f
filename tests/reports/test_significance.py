"""The A/B test's statistics against results known without this code: normal and chi-squared
tables, tables worked out by hand, Newcombe's (1998) Wilson intervals."""

import math

import pytest

from reports.significance import (
    Arm,
    chi_squared_p_value,
    chi_squared_survival,
    decide,
    normal_quantile,
    wilson_interval,
)

# --- the distributions ---------------------------------------------------------------------


@pytest.mark.parametrize("statistic, df, p", [
    # Critical values from any chi-squared table (3 decimals: hence the tolerance below).
    (3.841, 1, 0.05), (6.635, 1, 0.01), (5.991, 2, 0.05), (9.210, 2, 0.01),
    (7.815, 3, 0.05), (11.345, 3, 0.01), (9.837, 3, 0.02), (7.824, 2, 0.02), (5.412, 1, 0.02),
])
def test_the_chi_squared_survival_function_meets_the_tables_critical_values(statistic, df, p):
    assert chi_squared_survival(statistic, df) == pytest.approx(p, rel=2e-3)


def test_no_closed_form_past_three_degrees_of_freedom():
    with pytest.raises(ValueError):
        chi_squared_survival(5.0, 4)


@pytest.mark.parametrize("probability, z", [(0.975, 1.959964), (0.995, 2.575829),
                                            (0.99, 2.326348), (0.5, 0.0)])
def test_normal_quantiles_match_the_normal_table(probability, z):
    assert normal_quantile(probability) == pytest.approx(z, abs=1e-6)


# --- two arms: the pooled two-proportion z-test ---------------------------------------------

def test_two_arms_by_hand():
    # 50 of 200 against 30 of 200. Pooled rate 80/400 = 0.2; standard error
    # sqrt(0.2 x 0.8 x (1/200 + 1/200)) = 0.04; z = (0.25 - 0.15) / 0.04 = 2.5. The normal
    # table: P(|Z| > 2.5) = 2 x (1 - 0.99379) = 0.01242.
    p = chi_squared_p_value([Arm("A", 200, 50), Arm("B", 200, 30)])
    assert p == pytest.approx(0.01242, abs=1e-5)
    # The same as the 2 x 2 chi-squared test: expected clicks 40 and 40, misses 160 and 160:
    # 2 x 10²/40 + 2 x 10²/160 = 6.25 = 2.5².
    assert p == pytest.approx(chi_squared_survival(6.25, 1), rel=1e-12)
    # Two-sided: the order of the arms does not matter.
    assert chi_squared_p_value([Arm("B", 200, 30), Arm("A", 200, 50)]) == pytest.approx(p)


def test_two_arms_of_unequal_size_by_hand():
    # 60 of 300 (0.2) against 20 of 200 (0.1): pooled 80/500 = 0.16; standard error
    # sqrt(0.16 x 0.84 x (1/300 + 1/200)) = sqrt(0.00112) = 0.033466; z = 0.1 / 0.033466
    # = 2.98807. Normal table: P(|Z| > 2.99) ≈ 0.00279 (2.98807 gives 0.002807).
    p = chi_squared_p_value([Arm("A", 300, 60), Arm("B", 200, 20)])
    assert p == pytest.approx(math.erfc(0.1 / math.sqrt(0.00112) / math.sqrt(2)), rel=1e-12)
    assert 0.0027 < p < 0.0029


# --- three and four arms: Pearson's chi-squared test -----------------------------------------

def test_three_arms_by_hand():
    # 10, 20 and 30 of 100 each: pooled 0.2, expected 20 clicks and 80 misses per arm;
    # χ² = (10² + 0 + 10²)/20 + (10² + 0 + 10²)/80 = 10 + 2.5 = 12.5, df 2: p = e^-6.25.
    arms = [Arm("A", 100, 10), Arm("B", 100, 20), Arm("C", 100, 30)]
    assert chi_squared_p_value(arms) == pytest.approx(0.0019305, abs=1e-7)
    # The table: 12.5 is past df 2's 0.005 value (10.597).
    assert chi_squared_p_value(arms) < 0.005


def test_four_arms_by_hand():
    # 10, 20, 30 and 20 of 100: pooled 0.2, χ² = 12.5 again, now df 3. The table puts 12.5
    # between 11.345 (p 0.01) and 12.838 (p 0.005).
    p = chi_squared_p_value([Arm("A", 100, 10), Arm("B", 100, 20), Arm("C", 100, 30),
                             Arm("D", 100, 20)])
    assert 0.005 < p < 0.01
    assert p == pytest.approx(0.005853, abs=2e-6)  # SciPy: chi2.sf(12.5, 3) = 0.0058527


def test_arms_of_equal_rates_have_p_one():
    assert chi_squared_p_value([Arm("A", 1000, 50), Arm("B", 2000, 100),
                                Arm("C", 500, 25)]) == pytest.approx(1.0)


@pytest.mark.parametrize("arms", [
    [Arm("A", 1000, 0), Arm("B", 1000, 0)],  # nobody clicked
    [Arm("A", 1000, 1000), Arm("B", 500, 500), Arm("C", 20, 20)],  # everybody clicked
    [Arm("A", 0, 0), Arm("B", 1000, 50)],  # one arm reached nobody: no second row
    [Arm("A", 0, 0), Arm("B", 0, 0)],
])
def test_a_table_without_variation_has_p_one(arms):
    assert chi_squared_p_value(arms) == 1.0


def test_an_arm_that_reached_nobody_is_no_row_of_the_table():
    with_empty = chi_squared_p_value([Arm("A", 200, 50), Arm("B", 0, 0), Arm("C", 200, 30)])
    assert with_empty == pytest.approx(0.01242, abs=1e-5)  # the two-arm result above


@pytest.mark.parametrize("arms", [
    [Arm("A", 100, 1)],
    [Arm(label, 100, 1) for label in "ABCDE"],
    [Arm("A", 100, 101), Arm("B", 100, 1)],
    [Arm("A", 100, -1), Arm("B", 100, 1)],
])
def test_it_refuses_what_it_cannot_test(arms):
    with pytest.raises(ValueError):
        chi_squared_p_value(arms)
    with pytest.raises(ValueError):
        decide(arms, significance=0.05, min_sample=0)


# --- Wilson score intervals ------------------------------------------------------------------

@pytest.mark.parametrize("clicks, reached, low, high", [
    # Newcombe, "Two-sided confidence intervals for the single proportion" (Statistics in
    # Medicine, 1998), Table II, Wilson's score method at 95 %.
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_intervals_match_newcombes_table(clicks, reached, low, high):
    interval = wilson_interval(clicks, reached, confidence=0.95)
    assert interval == pytest.approx((low, high), abs=6e-5)


def test_a_wider_confidence_gives_a_wider_interval_around_the_rate():
    narrow = wilson_interval(1000, 20_000, confidence=0.95)
    wide = wilson_interval(1000, 20_000, confidence=0.99)
    assert wide[0] < narrow[0] < 0.05 < narrow[1] < wide[1]


def test_nobody_reached_knows_nothing_of_the_rate():
    assert wilson_interval(0, 0, confidence=0.95) == (0.0, 1.0)


# --- decisions -------------------------------------------------------------------------------

def test_a_significant_difference_names_the_better_arm():
    arms = [Arm("A", 200, 30), Arm("B", 200, 50)]
    decision = decide(arms, significance=0.05, min_sample=100)
    assert (decision.winner, decision.reason) == (1, "significant")
    assert decision.p_value == pytest.approx(0.01242, abs=1e-5)
    assert decision.rates == [0.15, 0.25]
    assert decision.intervals == [wilson_interval(30, 200, confidence=0.95),
                                  wilson_interval(50, 200, confidence=0.95)]


def test_the_same_figures_are_not_significant_at_a_stricter_level():
    decision = decide([Arm("A", 200, 30), Arm("B", 200, 50)], significance=0.01,
                      min_sample=100)
    assert (decision.winner, decision.reason) == (None, "not_significant")
    assert decision.p_value == pytest.approx(0.01242, abs=1e-5)
    # The intervals are at 1 - significance: 99 % here.
    assert decision.intervals[0] == wilson_interval(30, 200, confidence=0.99)


def test_with_three_arms_the_winner_is_the_highest_rate_wherever_it_stands():
    decision = decide([Arm("A", 100, 10), Arm("B", 100, 30), Arm("C", 100, 20)],
                      significance=0.05, min_sample=100)
    assert (decision.winner, decision.reason) == (1, "significant")
    assert decision.p_value == pytest.approx(math.exp(-6.25))


def test_too_few_when_any_arm_is_under_the_minimum_sample():
    decision = decide([Arm("A", 999, 10), Arm("B", 5000, 900)], significance=0.05,
                      min_sample=1000)
    assert (decision.winner, decision.reason, decision.p_value) == (None, "too_few", None)
    assert decision.rates == [10 / 999, 900 / 5000] and len(decision.intervals) == 2


def test_an_arm_that_reached_nobody():
    too_few = decide([Arm("A", 0, 0), Arm("B", 2000, 100)], significance=0.05, min_sample=1)
    assert too_few.reason == "too_few" and too_few.rates == [0.0, 0.05]
    assert too_few.intervals[0] == (0.0, 1.0)
    # With no minimum, nothing is compared: no winner, p = 1.
    none = decide([Arm("A", 0, 0), Arm("B", 2000, 100)], significance=0.05, min_sample=0)
    assert (none.winner, none.reason, none.p_value) == (None, "not_significant", 1.0)


def test_equal_rates_have_no_winner():
    decision = decide([Arm("A", 20_000, 1000), Arm("B", 20_000, 1000)], significance=0.05,
                      min_sample=1000)
    assert (decision.winner, decision.reason, decision.p_value) == (None, "not_significant",
                                                                   1.0)


@pytest.mark.parametrize("significance", [0, 1, -0.05, 1.5])
def test_a_significance_outside_zero_and_one_is_refused(significance):
    with pytest.raises(ValueError):
        decide([Arm("A", 100, 1), Arm("B", 100, 2)], significance=significance, min_sample=0)
