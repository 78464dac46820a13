"""Research toolkit: how good a risk matrix is on labelled outcomes, with honest
uncertainty, from exports that never show a member of the public or an officer in clear.

- :func:`features`: every warning sign of every officer (or pair) of a scored result,
  with officer and subject ids replaced by keyed pseudonyms (a key is required).
- :func:`evaluate`: ROC AUC, average precision, recall at fixed false-positive rates
  and at the first k officers, precision at k, per-category detection and a
  calibration table by tier, each with a seeded bootstrap interval, overall and by
  role.
- :func:`fit`: non-negative weights for the additive warning signs, cross-validated
  over officers, written back as a risk matrix TOML that ``apsp score`` loads and that
  reproduces the fitted scores.
- :func:`compare`: two matrices side by side on one force, with paired intervals and
  the officers whose tier changes.
- :func:`pseudonymise`: labels (or any frame) with the same pseudonyms, to join them.
- :func:`synthetic_labels`: a generated force's labels as outcomes.

Needs numpy and scipy (the ``research`` extra: ``pip install apsp[research]``). A score is a
warning sign for review, never a verdict; and synthetic labels are not real outcomes.
"""

from __future__ import annotations

try:
    import numpy  # noqa: F401
    import scipy  # noqa: F401
except ImportError as e:  # pragma: no cover - exercised without the extra only
    raise ImportError(
        "apsp.research needs numpy and scipy: pip install 'apsp[research]'"
    ) from e

from ._compare import Comparison, compare
from ._evaluate import Evaluation, SmallGroupWarning, evaluate
from ._features import KEY_ENV, features, pseudonymise
from ._fit import Fit, fit
from ._labels import ResearchError, read_labels, synthetic_labels

__all__ = [
    "KEY_ENV",
    "Comparison",
    "Evaluation",
    "Fit",
    "ResearchError",
    "SmallGroupWarning",
    "compare",
    "evaluate",
    "features",
    "fit",
    "pseudonymise",
    "read_labels",
    "synthetic_labels",
]
