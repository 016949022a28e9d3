#!/usr/bin/env python3
"""Write inference.json beside this script: the numbers Tests/GeneCodingTests/Metrics/InferenceTests.swift
holds Sources/GeneCoding/Metrics/{StudentT,Inference,Bootstrap}.swift against.

- Student's t: scipy.stats.t (and scipy.stats.norm for infinite degrees of freedom): cdf, two-sided p,
  density at a grid of t, quantiles at a grid of p.
- Welch: scipy.stats.ttest_ind(equal_var=False) and its confidence_interval(); paired:
  scipy.stats.ttest_rel and its confidence_interval(); one cell: scipy.stats.ttest_1samp's interval.
- Multiple comparisons: statsmodels.stats.multitest.multipletests, methods "holm" and "fdr_bh".
- The test-set bootstrap: generated labels and predictions, and the standard deviation of the
  difference of mean MCCs over 20,000 numpy bootstrap resamples (a different generator from the
  Swift one, so the two agree within Monte-Carlo error, not bit for bit).

CI never runs this; the committed JSON is what the tests read. Deterministic (fixed seeds). To remake it:
    python3 -m venv /tmp/stats-venv && /tmp/stats-venv/bin/pip install scipy statsmodels numpy
    /tmp/stats-venv/bin/python Tests/GeneCodingTests/Resources/statistics/make_inference_fixture.py
"""
import json
import math
import os

import numpy as np
import scipy
import statsmodels
from scipy import stats
from statsmodels.stats.multitest import multipletests

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "inference.json")


def number(x):
    """JSON has no infinity: written as the string "inf", which the Swift decoder is told to read."""
    x = float(x)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if math.isnan(x):
        return "nan"
    return x


DEGREES = [1, 1.5, 2, 3, 4.3, 10, 30, 1000, math.inf]
LARGE_DEGREES = [5000, 1e4, 2e4, 1e5, 1e8, 1e12]
T_GRID = [-1000, -100, -50, -20, -10, -5, -3, -2.5, -2, -1.5, -1, -0.5, -0.1, -1e-3, 0,
          1e-3, 0.1, 0.5, 1, 1.5, 2, 2.5, 3, 5, 10, 20, 50, 100, 1000]
P_GRID = [1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7,
          0.8, 0.9, 0.95, 0.975, 0.99, 0.999, 1 - 1e-4, 1 - 1e-5, 1 - 1e-6]


def distribution(df):
    return stats.norm() if math.isinf(df) else stats.t(df)


def t_cases(degrees):
    out = []
    for df in degrees:
        d = distribution(df)
        out.append({
            "df": number(df),
            "t": T_GRID,
            "cdf": [number(d.cdf(t)) for t in T_GRID],
            "twoSided": [number(2 * d.sf(abs(t))) for t in T_GRID],
            "density": [number(d.pdf(t)) for t in T_GRID],
            "p": P_GRID,
            "quantile": [number(d.ppf(p)) for p in P_GRID],
        })
    return out


def welch_cases():
    rows = [
        ("three a side", [0.512, 0.498, 0.530], [0.470, 0.455, 0.492]),
        ("three against five", [0.61, 0.58, 0.66], [0.55, 0.57, 0.52, 0.60, 0.54]),
        ("two against four", [0.40, 0.43], [0.41, 0.39, 0.45, 0.38]),
        ("five a side, no difference", [0.301, 0.322, 0.290, 0.315, 0.307], [0.310, 0.298, 0.327, 0.305, 0.296]),
        ("unequal spreads", [0.700, 0.702, 0.701], [0.55, 0.68, 0.61]),
        ("negative difference", [0.12, 0.18, 0.09, 0.15], [0.30, 0.26, 0.35]),
    ]
    out = []
    for name, a, b in rows:
        r = stats.ttest_ind(a, b, equal_var=False)
        ci = r.confidence_interval(confidence_level=0.95)
        va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
        out.append({"name": name, "a": a, "b": b, "difference": float(np.mean(a) - np.mean(b)),
                    "standardError": float(math.sqrt(va + vb)), "df": float(r.df),
                    "lower": float(ci.low), "upper": float(ci.high), "pValue": float(r.pvalue),
                    "statistic": float(r.statistic)})
    return out


def paired_cases():
    rows = [
        ("three seeds, correlated", [0.512, 0.498, 0.530], [0.490, 0.471, 0.512]),
        ("five seeds", [0.61, 0.58, 0.66, 0.63, 0.60], [0.60, 0.55, 0.64, 0.63, 0.57]),
        ("four seeds, B better", [0.20, 0.25, 0.22, 0.31], [0.24, 0.27, 0.27, 0.33]),
        ("three seeds, no difference", [0.40, 0.45, 0.38], [0.42, 0.41, 0.40]),
    ]
    out = []
    for name, a, b in rows:
        r = stats.ttest_rel(a, b)
        ci = r.confidence_interval(confidence_level=0.95)
        diffs = np.subtract(a, b)
        out.append({"name": name, "a": a, "b": b, "difference": float(np.mean(a) - np.mean(b)),
                    "standardError": float(np.std(diffs, ddof=1) / math.sqrt(len(diffs))), "df": float(r.df),
                    "lower": float(ci.low), "upper": float(ci.high), "pValue": float(r.pvalue),
                    "statistic": float(r.statistic)})
    return out


def one_cell_cases():
    """A cell's mean and its t interval, from scipy.stats.ttest_1samp(...).confidence_interval()."""
    out = []
    for name, values in [("three seeds", [0.512, 0.498, 0.530]), ("five seeds", [0.61, 0.58, 0.66, 0.63, 0.60]),
                         ("two seeds", [0.40, 0.43])]:
        ci = stats.ttest_1samp(values, 0).confidence_interval(confidence_level=0.95)
        out.append({"name": name, "values": values, "mean": float(np.mean(values)),
                    "lower": float(ci.low), "upper": float(ci.high)})
    return out


def multiple_cases():
    rng = np.random.default_rng(14)
    rows = [
        ("textbook", [0.01, 0.04, 0.03, 0.005]),
        ("ties", [0.01, 0.01, 0.02, 0.02, 0.5]),
        ("all large", [0.3, 0.8, 0.5]),
        ("one", [0.03]),
        ("zeros and ones", [0.0, 1.0, 0.0, 0.2]),
        ("random twenty", [float(x) for x in rng.uniform(0, 0.2, 20)]),
        ("random six, some tiny", [float(x) for x in np.concatenate([rng.uniform(0, 1e-4, 3), rng.uniform(0, 1, 3)])]),
    ]
    out = []
    for name, p in rows:
        out.append({"name": name, "p": p,
                    "holm": [float(x) for x in multipletests(p, alpha=0.05, method="holm")[1]],
                    "benjaminiHochberg": [float(x) for x in multipletests(p, alpha=0.05, method="fdr_bh")[1]]})
    return out


def mcc_rows(labels, predictions, classes):
    """MCC of each row of `predictions` (runs x examples), sklearn's covariance form, by counts."""
    n = labels.size
    t = np.bincount(labels, minlength=classes).astype(np.int64)
    out = []
    for pred in predictions:
        p = np.bincount(pred, minlength=classes).astype(np.int64)
        c = int(np.sum(pred == labels))
        cov = c * n - int(t @ p)
        denominator = float(n * n - int(p @ p)) * float(n * n - int(t @ t))
        out.append(0.0 if denominator == 0 else cov / math.sqrt(denominator))
    return out


def mcc_weighted(labels, predictions, weights, classes):
    """The same on a resample given as how many times each example was drawn."""
    n = int(weights.sum())
    t = np.bincount(labels, weights=weights, minlength=classes).astype(np.int64)
    out = []
    for pred in predictions:
        p = np.bincount(pred, weights=weights, minlength=classes).astype(np.int64)
        c = int(weights[pred == labels].sum())
        cov = c * n - int(t @ p)
        denominator = float(n * n - int(p @ p)) * float(n * n - int(t @ t))
        out.append(0.0 if denominator == 0 else cov / math.sqrt(denominator))
    return np.array(out)


def bootstrap_cases():
    rng = np.random.default_rng(20250715)
    cases = []

    def noisy(labels, accuracy, classes):
        keep = rng.uniform(size=labels.size) < accuracy
        return np.where(keep, labels, rng.integers(0, classes, labels.size))

    n = 1000
    labels = rng.integers(0, 2, n)
    perfect = [labels.copy() for _ in range(3)]
    random = [rng.integers(0, 2, n) for _ in range(3)]
    cases.append(("binary, A perfect, B random", labels, perfect, random, 2))

    n = 600
    labels = rng.integers(0, 3, n)
    a = [noisy(labels, 0.7, 3) for _ in range(3)]
    b = [noisy(labels, 0.6, 3) for _ in range(3)]
    cases.append(("three-class, noisy models", labels, a, b, 3))

    n = 400
    labels = (rng.uniform(size=n) < 0.2).astype(np.int64)
    a = [noisy(labels, 0.8, 2) for _ in range(4)]
    b = [noisy(labels, 0.75, 2) for _ in range(5)]
    cases.append(("binary, unbalanced, four against five", labels, a, b, 2))

    resamples = 20000
    out = []
    for name, labels, a, b, classes in cases:
        n = labels.size
        diffs, means_a = np.empty(resamples), np.empty(resamples)
        for r in range(resamples):
            weights = np.bincount(rng.integers(0, n, n), minlength=n)
            ma = mcc_weighted(labels, a, weights, classes).mean()
            mb = mcc_weighted(labels, b, weights, classes).mean()
            diffs[r], means_a[r] = ma - mb, ma
        out.append({"name": name, "labels": labels.tolist(),
                    "a": [p.tolist() for p in a], "b": [p.tolist() for p in b],
                    "mccA": mcc_rows(labels, a, classes), "mccB": mcc_rows(labels, b, classes),
                    "resamples": resamples,
                    "testStandardError": float(np.std(diffs, ddof=1)),
                    "testStandardErrorOfA": float(np.std(means_a, ddof=1))})
    return out


def main():
    fixture = {
        "scipy": scipy.__version__, "statsmodels": statsmodels.__version__, "numpy": np.__version__,
        "studentT": t_cases(DEGREES),
        "studentTLargeDegrees": t_cases(LARGE_DEGREES),
        "welch": welch_cases(),
        "paired": paired_cases(),
        "oneCell": one_cell_cases(),
        "multipleComparisons": multiple_cases(),
        "bootstrap": bootstrap_cases(),
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=1, allow_nan=False)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
