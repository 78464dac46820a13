"""apsp — warning signs of abuse of position for a sexual purpose (APSP), for review.

Reads the data police forces already hold (work-phone billing, vehicle stops, system
audit logs, rosters, case records), from a folder of CSV/Parquet files or from polars
DataFrames, into typed polars DataFrames, quarantining every row it cannot use with
the file, line and reason. A score produced from these data is a warning sign for
review, never a verdict.
"""

from __future__ import annotations

from . import scoring, synth
from ._apsp import (
    ApspError,
    DatasetError,
    InternalError,
    MatrixError,
    ParseError,
    ProfileError,
    PseudonymisationError,
    SchemaError,
    SettingError,
    StoreError,
)
from ._apsp import version as _version
from .coverage import CoverageWarning
from .dataset import TABLES, Dataset, read_dataset, validate
from .matrix import RiskMatrix
from .scoring import Explanation, Result, score
from .settings import ReadSettings
from .store import Store, nightly

__version__: str = _version()

__all__ = [
    "TABLES",
    "ApspError",
    "CoverageWarning",
    "Dataset",
    "DatasetError",
    "Explanation",
    "InternalError",
    "MatrixError",
    "ParseError",
    "ProfileError",
    "PseudonymisationError",
    "ReadSettings",
    "Result",
    "RiskMatrix",
    "SchemaError",
    "SettingError",
    "Store",
    "StoreError",
    "__version__",
    "nightly",
    "read_dataset",
    "score",
    "scoring",
    "synth",
    "validate",
]
