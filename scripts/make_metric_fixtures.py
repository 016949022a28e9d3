#!/usr/bin/env python3
"""Write Tests/GeneCodingTests/Resources/metrics/cases.json: label vectors and the MCC, accuracy and
macro-F1 that scikit-learn gives for them, for the Swift metrics to be held against.

Deterministic (fixed seeds); run from the package root:  python3 scripts/make_metric_fixtures.py
"""
import json
import os
import random
import warnings

import sklearn
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef

OUT = os.path.join("Tests", "GeneCodingTests", "Resources", "metrics", "cases.json")


def hand_made():
    """Edge cases, each named for what it exercises."""
    return [
        ("binary perfect", [0, 1, 1, 0, 1, 0], [0, 1, 1, 0, 1, 0]),
        ("binary inverted", [0, 1, 1, 0, 1, 0], [1, 0, 0, 1, 0, 1]),
        ("binary constant prediction 0", [0, 1, 1, 0, 1, 1], [0, 0, 0, 0, 0, 0]),
        ("binary constant prediction 1", [0, 1, 1, 0, 1, 1], [1, 1, 1, 1, 1, 1]),
        ("binary constant truth", [1, 1, 1, 1], [1, 0, 1, 1]),
        ("binary truth and prediction both constant and equal", [1, 1, 1], [1, 1, 1]),
        ("binary truth and prediction both constant and different", [0, 0, 0], [1, 1, 1]),
        ("binary textbook", [1, 1, 1, 0], [1, 0, 1, 1]),
        ("binary unbalanced", [0] * 90 + [1] * 10, [0] * 85 + [1] * 5 + [0] * 6 + [1] * 4),
        ("single element right", [1], [1]),
        ("single element wrong", [0], [1]),
        ("three-class perfect", [0, 1, 2, 2, 1, 0], [0, 1, 2, 2, 1, 0]),
        ("three-class rotated", [0, 1, 2, 0, 1, 2], [1, 2, 0, 1, 2, 0]),
        ("three-class constant prediction", [0, 1, 2, 0, 1, 2], [2, 2, 2, 2, 2, 2]),
        ("three-class class missing from prediction", [0, 1, 2, 0, 1, 2, 2], [0, 1, 1, 0, 1, 0, 1]),
        ("three-class class missing from truth", [0, 1, 0, 1, 0, 1], [0, 1, 2, 1, 2, 0]),
        ("class 0 absent from both", [1, 2, 2, 1, 2], [1, 2, 1, 1, 2]),
        ("nine-class (as covid)", [0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6], [0, 1, 2, 3, 4, 5, 6, 8, 7, 8, 7, 0]),
    ]


def random_cases(rng):
    cases = []
    for classes in (2, 3, 5, 9):
        for size in (10, 57, 400):
            truth = [rng.randrange(classes) for _ in range(size)]
            # Noisy copies of the truth, from nearly right to chance, so MCC spans its range.
            for accuracy in (0.95, 0.6, 0.0):
                prediction = [t if rng.random() < accuracy else rng.randrange(classes) for t in truth]
                cases.append((f"random {classes} classes, {size} samples, {accuracy:.2f} kept", truth, prediction))
    # Skewed class frequencies and predictions biased towards one class.
    for n in range(6):
        size = rng.randrange(20, 300)
        truth = [0 if rng.random() < 0.8 else rng.randrange(1, 3) for _ in range(size)]
        prediction = [t if rng.random() < 0.5 else 0 for t in truth]
        cases.append((f"random skewed {n}", truth, prediction))
    return cases


def main():
    rng = random.Random(20251124)
    cases = []
    for name, truth, prediction in hand_made() + random_cases(rng):
        assert len(truth) == len(prediction)
        with warnings.catch_warnings():
            # Constant predictions and absent classes warn; the default zero_division is what we test.
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.simplefilter("ignore", UserWarning)
            mcc = float(matthews_corrcoef(truth, prediction))
            accuracy = float(accuracy_score(truth, prediction))
            macro_f1 = float(f1_score(truth, prediction, average="macro"))
        cases.append({
            "name": name,
            "truth": truth,
            "prediction": prediction,
            "mcc": mcc,
            "accuracy": accuracy,
            "macroF1": macro_f1,
        })
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"generator": "scripts/make_metric_fixtures.py",
                   "sklearn": sklearn.__version__,
                   "cases": cases}, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
