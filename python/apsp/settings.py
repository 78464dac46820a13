"""The settings of a run: the words each setting takes, and the reading settings.

:class:`ReadSettings` is the one definition of how a dataset is read (time zone, import
profiles, pseudonymisation, ...): :func:`apsp.read_dataset`, :func:`apsp.validate` and
:func:`apsp.score` take its fields as keyword arguments with its defaults
(``timezone=ReadSettings.timezone``), build one and hand it to the native reader.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypedDict, cast

__all__ = [
    "Ambiguous", "Nonexistent", "PathLike", "ProfilesLike", "ReadSettings", "SynthFormat",
]

PathLike = str | os.PathLike[str]
"""A file or folder: a ``str`` or a ``pathlib.Path`` (any ``os.PathLike[str]``)."""

ProfilesLike = Iterable[PathLike | Mapping[str, Any]] | PathLike | Mapping[str, Any]
"""Import profiles: a TOML file, a dict with the same keys, or an iterable of them."""

Ambiguous = Literal["earliest", "latest", "quarantine"]
"""A local time that occurs twice when the clocks go back: the first instant (BST), the
second (GMT), or quarantine the row."""

Nonexistent = Literal["quarantine", "shift_forward"]
"""A local time that does not exist when the clocks go forward: quarantine the row, or
move it forward by the length of the gap (01:30 -> 02:30 BST)."""

SynthFormat = Literal["csv", "parquet"]
"""The files :func:`apsp.synth.generate` writes: CSV with naive local times and mixed
phone writings, or typed Parquet."""


class _ProfileDict(str):
    """An import profile given as a dict, kept as its canonical JSON text."""


class _NativeRead(TypedDict):
    """The reading settings as ``_apsp.validate`` and ``_apsp.score`` take them."""

    profiles: list[Path]
    profile_dicts: list[str]
    timezone: str
    ambiguous: Ambiguous
    nonexistent: Nonexistent
    pseudonymise: bool
    key_file: Path | None
    key_env: str | None
    ignore_extra_columns: bool
    encoding: str


@dataclass(frozen=True, kw_only=True)
class ReadSettings:
    """How a dataset is read: the keyword arguments of :func:`apsp.read_dataset`,
    :func:`apsp.validate` and :func:`apsp.score`, in one place.

    Profiles are kept as a tuple of ``Path`` and the key file as a ``Path``, so two
    settings that read alike compare equal (and hash alike).

    Attributes
    ----------
    profiles : path, dict, or iterable of them
        Import profiles mapping raw exports onto canonical tables: TOML files, or dicts
        with the same keys (``{"table": "billing", "delimiter": ";", "columns": {...}}``),
        checked the same way. One path or one dict is one profile.
    timezone : str
        IANA zone of timestamps written without an offset.
    ambiguous : {"earliest", "latest", "quarantine"}
        Local times that occur twice when the clocks go back.
    nonexistent : {"quarantine", "shift_forward"}
        Local times that do not exist when the clocks go forward.
    pseudonymise : bool
        Replace members of the public's phone numbers and person ids by keyed
        HMAC-SHA256 pseudonyms. Needs a key: ``key_file``, ``key_env`` or the
        ``APSP_PSEUDONYM_KEY`` environment variable; there is no default key.
    key_file, key_env
        Where the key comes from.
    ignore_extra_columns : bool
        Read files that have columns belonging to no table column, listing those columns
        in the manifest (``inputs[].ignored_columns``) and summary. By default such a
        column is a ``SchemaError``: a misspelt column must not silently drop data.
    encoding : {"utf-8", "cp1252", "latin-1"}
        Character encoding of CSV files (an import profile's ``encoding`` wins for its
        table). Exports from Windows systems are often cp1252. With ``"utf-8"`` a
        free-text value that is not UTF-8 (an officer's ``unit``) is read as cp1252 and
        counted (``inputs[].not_utf8_kept`` in the manifest, and a
        :class:`apsp.CoverageWarning`); one in an identifier, number or time quarantines
        its row (``bad_encoding``).

    A value the library does not know (``ambiguous="maybe"``, an unknown time zone)
    raises :class:`apsp.SettingError` when the dataset is read.

    Examples
    --------
    >>> import apsp
    >>> from pathlib import Path
    >>> s = apsp.ReadSettings(profiles=["billing.toml"], ambiguous="latest")
    >>> s.profiles == (Path("billing.toml"),), s.ambiguous, s.timezone
    (True, 'latest', 'Europe/London')
    >>> s == apsp.ReadSettings(profiles=("billing.toml",), ambiguous="latest")
    True
    """

    profiles: ProfilesLike = ()
    timezone: str = "Europe/London"
    ambiguous: Ambiguous = "earliest"
    nonexistent: Nonexistent = "quarantine"
    pseudonymise: bool = False
    key_file: PathLike | None = None
    key_env: str | None = None
    ignore_extra_columns: bool = False
    encoding: str = "utf-8"

    def __post_init__(self) -> None:
        # Frozen: the normalised values are set once, here.
        # One path is one profile, not the characters of its name.
        profiles = self.profiles
        if isinstance(profiles, str | os.PathLike | Mapping):
            profiles = (profiles,)
        # A dict is kept as its canonical JSON text: settings stay hashable, and two
        # equal dicts compare equal.
        object.__setattr__(
            self,
            "profiles",
            tuple(
                _ProfileDict(json.dumps(p, sort_keys=True)) if isinstance(p, Mapping)
                else Path(p)
                for p in profiles
            ),
        )
        if self.key_file is not None:
            object.__setattr__(self, "key_file", Path(self.key_file))

    def _profiles(self) -> tuple[Path | _ProfileDict, ...]:
        """The profiles as normalised by ``__post_init__``."""
        return cast("tuple[Path | _ProfileDict, ...]", self.profiles)

    def _native(self) -> _NativeRead:
        """The keyword arguments of the native readers."""
        return _NativeRead(
            # Paths and dicts (as JSON) since __post_init__.
            profiles=[p for p in self._profiles() if isinstance(p, Path)],
            profile_dicts=[str(p) for p in self._profiles() if isinstance(p, _ProfileDict)],
            timezone=self.timezone,
            ambiguous=self.ambiguous,
            nonexistent=self.nonexistent,
            pseudonymise=self.pseudonymise,
            key_file=None if self.key_file is None else Path(self.key_file),
            key_env=self.key_env,
            ignore_extra_columns=self.ignore_extra_columns,
            encoding=self.encoding,
        )
