"""Risk matrices: the weights, parameters, tiers and style rules of a scoring run."""

from __future__ import annotations

import html
import re
import tomllib
from pathlib import Path
from typing import Any

import polars as pl

from . import _apsp
from .settings import PathLike

__all__ = ["RiskMatrix"]


class RiskMatrix:
    """A risk matrix (TOML), checked on every change, with its comments kept.

    The shipped default cites a source for every number in a comment; editing a value
    with ``m[key] = value`` changes that one line and keeps the comments, so a saved
    matrix still says where each number came from. Keys are dotted paths
    (``"signals.contact_volume.weight"``); only existing keys can be set, and a value
    the engine would refuse raises :class:`apsp.MatrixError` at once.

    Attributes
    ----------
    name, version : str
        From the matrix's ``name`` and ``version`` keys.
    sha256 : str
        SHA-256 of the TOML text: the hash recorded in a scored run's manifest.
    source : str
        ``"default"``, the file it was loaded from, or ``"edited"`` once changed.

    Examples
    --------
    >>> import apsp
    >>> m = apsp.RiskMatrix.default()
    >>> m["signals.contact_volume.weight"]
    3.0
    >>> m["signals.contact_volume.weight"] = 4.0
    >>> m["signals.contact_volume.weight"], m.source
    (4.0, 'edited')
    >>> m["signals.contact_volume.wieght"] = 1.0
    Traceback (most recent call last):
    ...
    apsp.MatrixError: risk matrix edited: no key signals.contact_volume.wieght in the matrix
    """

    def __init__(self, text: str, source: str = "edited") -> None:
        self._name, self._version, self._sha = _apsp.matrix_check(text, source)
        self._text = text
        self._source = source

    @classmethod
    def default(cls) -> RiskMatrix:
        """The matrix shipped with the library."""
        return cls(_apsp.matrix_default(), "default")

    @classmethod
    def load(cls, path: PathLike) -> RiskMatrix:
        """Read and check a matrix file (``FileNotFoundError`` if it does not exist)."""
        p = Path(path)
        return cls(p.read_text(encoding="utf-8"), str(p))

    @property
    def name(self) -> str:
        return self._name

    @property
    def version(self) -> str:
        return self._version

    @property
    def sha256(self) -> str:
        return self._sha

    @property
    def source(self) -> str:
        return self._source

    def to_dict(self) -> dict[str, Any]:
        """The matrix as nested dicts."""
        return tomllib.loads(self._text)

    def to_toml(self) -> str:
        """The TOML text, comments included."""
        return self._text

    def __getitem__(self, key: str) -> Any:
        node: Any = self.to_dict()
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(key)
            node = node[part]
        return node

    def __setitem__(self, key: str, value: bool | int | float | str | list[str]) -> None:
        text = _apsp.matrix_set(self._text, key, value, "edited")
        self._name, self._version, self._sha = _apsp.matrix_check(text, "edited")
        self._text, self._source = text, "edited"

    def copy(self) -> RiskMatrix:
        """An independent copy (edit one, compare rankings with the other)."""
        return RiskMatrix(self._text, self._source)

    def save(self, path: PathLike) -> Path:
        """Write the TOML text to ``path``; return the path."""
        p = Path(path)
        p.write_text(self._text, encoding="utf-8")
        return p

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RiskMatrix) and other._text == self._text

    def __hash__(self) -> int:
        return hash(self._sha)

    def to_frame(self) -> pl.DataFrame:
        """Every setting as a row: ``key`` (dotted), ``value`` (as TOML writes it) and
        ``source``, the comment above it in the matrix (where the number comes from).

        Examples
        --------
        >>> import apsp, polars as pl
        >>> t = apsp.RiskMatrix.default().to_frame()
        >>> t.filter(pl.col("key") == "analysis.window_days")["value"].item()
        '365'
        >>> "seed" in t.filter(pl.col("key") == "analysis.window_days")["source"].item()
        True
        """
        rows = _settings_with_comments(self._text)
        return pl.DataFrame(
            {
                "key": [r[0] for r in rows],
                "value": [r[1] for r in rows],
                "source": [r[2] for r in rows],
            },
            schema={"key": pl.String, "value": pl.String, "source": pl.String},
        )

    def _repr_html_(self) -> str:
        """In a notebook: the matrix as a table of settings and their sources."""
        with pl.Config(fmt_str_lengths=400, tbl_rows=-1, tbl_width_chars=400):
            table = self.to_frame()._repr_html_()
        return f"<p>{html.escape(repr(self))}</p>{table}"

    def __repr__(self) -> str:
        return (
            f"<apsp.RiskMatrix {self._name} {self._version} ({self._source}), "
            f"sha256 {self._sha[:12]}>"
        )


_SECTION = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+\s*$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_.\"-]+)\s*=\s*(.*?)\s*$")


def _settings_with_comments(text: str) -> list[tuple[str, str, str]]:
    """(dotted key, value text, the comment block above it) for each ``key = value``
    line of a TOML text (a block of comments describes the keys below it, up to the
    next block)."""
    rows: list[tuple[str, str, str]] = []
    section, after_key = "", False
    block: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped and not rows:
            block = []  # the file's own header is no setting's source
        elif stripped.startswith("#"):
            if after_key:
                block, after_key = [], False
            block.append(stripped.lstrip("#").strip())
        elif m := _SECTION.match(line):
            section, block, after_key = m.group(1).strip(), [], False
        elif m := _KEY.match(line):
            key = f"{section}.{m.group(1)}" if section else m.group(1)
            value = m.group(2).split(" #")[0].strip()
            rows.append((key, value, " ".join(b for b in block if b)))
            after_key = True
    return rows
