"""What a run left out, said every time: files not read, tables absent, rows quarantined.

A run that quietly leaves data out looks like a run that found nothing. The readers and
:func:`apsp.score` raise one :class:`CoverageWarning` per omission, and the reprs of
:class:`apsp.Dataset` and :class:`apsp.Result` lead with a short account of them. The
facts come from the manifest (``ignored_files``, ``tables``, ``quarantined``), the same
that ``apsp validate`` and ``apsp score`` write.
"""

from __future__ import annotations

import warnings
from typing import Any

__all__ = ["CoverageWarning", "coverage_lines", "coverage_summary", "warn_coverage"]

class CoverageWarning(UserWarning):
    """Input a run left out: a file it did not read, a canonical table absent, rows
    quarantined. The warning signs that need what is missing are ``not_evaluated``
    (never cleared); correct the input, or filter this category once you have read it:
    ``warnings.simplefilter("ignore", apsp.CoverageWarning)``."""


def _absent(manifest: dict[str, Any]) -> list[str]:
    # Imported here: the readers of `dataset` warn through this module.
    from .dataset import TABLES

    present = manifest.get("tables", {})
    return [t for t in TABLES if t not in present]


def coverage_lines(manifest: dict[str, Any]) -> list[str]:
    """One sentence per omission recorded in ``manifest``."""
    lines = [
        f"file {name!r} was not read: its name is not a canonical table "
        "(officers.csv, billing.parquet, ...): rename it, or map it with an import "
        "profile"
        for name in manifest.get("ignored_files", [])
    ]
    absent = _absent(manifest)
    if absent:
        lines.append(
            f"table(s) absent: {', '.join(absent)}: the warning signs that need them are "
            "not evaluated (docs/signals.md lists each sign's data)"
        )
    quarantined = int(manifest.get("quarantined", 0))
    if quarantined:
        lines.append(
            f"{quarantined} row(s) quarantined and not scored: see .quarantine (file, "
            "line, column and reason of each)"
        )
    return lines


def coverage_summary(manifest: dict[str, Any]) -> str:
    """The omissions in a few words, for a repr: ``"every table read, nothing
    quarantined"`` or ``"1 file not read (Billing_Export.csv); absent: billing; 3 rows
    quarantined"``."""
    parts = []
    ignored = list(manifest.get("ignored_files", []))
    if ignored:
        parts.append(f"{len(ignored)} file(s) not read ({', '.join(ignored)})")
    absent = _absent(manifest)
    if absent:
        parts.append(f"absent: {', '.join(absent)}")
    quarantined = int(manifest.get("quarantined", 0))
    if quarantined:
        parts.append(f"{quarantined} row(s) quarantined")
    if not parts:
        return "every table read, nothing quarantined"
    return "; ".join(parts)


def warn_coverage(manifest: dict[str, Any], stacklevel: int) -> None:
    """Raises a :class:`CoverageWarning` per omission, pointing at the caller
    ``stacklevel`` frames up."""
    for line in coverage_lines(manifest):
        warnings.warn(line, CoverageWarning, stacklevel=stacklevel + 1)
