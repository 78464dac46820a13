"""What a run left out, said every time: files not read, tables absent, rows quarantined,
warning signs not evaluated.

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
    for f in manifest.get("inputs", []):
        kept = int(f.get("not_utf8_kept", 0))
        if kept:
            line, column = f.get("first_not_utf8") or (None, "?")
            lines.append(
                f"file {f['file']!r}: {kept} row(s) have text that is not UTF-8 (first "
                f"at line {line}, column {column!r}), read as cp1252: if the file is "
                "cp1252 or Latin-1, say so with encoding='cp1252' (or an import "
                "profile's encoding)"
            )
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
    gaps = (manifest.get("scoring") or {}).get("signs_not_evaluated", [])
    for gap in (g for g in gaps if g["whole"]):
        lines.append(
            f"sign {gap['sign']} not evaluated for anyone ({gap['reasons'][0]}): not "
            "looked at, not cleared"
        )
    partial = [_partial_gap(g) for g in gaps if not g["whole"]]
    if partial:
        lines.append(
            "signs not evaluated for some subjects or officers, their data cannot say: "
            + "; ".join(partial)
            + "; see the signals where status == 'not_evaluated'"
        )
    return lines


def _partial_gap(gap: dict[str, Any]) -> str:
    whom = f"{gap['pairs']} pairs" if gap["pairs"] else f"{gap['officers']} officers"
    return f"{gap['sign']} for {whom} ({gap['reasons'][0]})"


def coverage_summary(manifest: dict[str, Any]) -> str:
    """The omissions in a few words, for a repr: ``"every table read, nothing
    quarantined; 2 sign(s) not evaluated for some subjects"``, or ``"1 file(s) not read
    (notes.txt); absent: billing; 3 row(s) quarantined; not evaluated:
    contact_volume"``."""
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
        parts.append("every table read, nothing quarantined")
    gaps = (manifest.get("scoring") or {}).get("signs_not_evaluated", [])
    whole = [g["sign"] for g in gaps if g["whole"]]
    if whole:
        parts.append("not evaluated: " + ", ".join(whole))
    partly = [g["sign"] for g in gaps if not g["whole"]]
    if partly:
        parts.append(f"{len(partly)} sign(s) not evaluated for some subjects")
    return "; ".join(parts)


def warn_coverage(manifest: dict[str, Any], stacklevel: int) -> None:
    """Raises a :class:`CoverageWarning` per omission, pointing at the caller
    ``stacklevel`` frames up."""
    for line in coverage_lines(manifest):
        warnings.warn(line, CoverageWarning, stacklevel=stacklevel + 1)
