"""The reading settings are defined once (apsp.ReadSettings) and the fixed-word settings
(Literal types) are exactly the words the native side accepts."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from pathlib import Path

import pytest

import apsp
from apsp import _apsp
from apsp.settings import Ambiguous, Nonexistent, SynthFormat
from conftest import EXAMPLES

FIELDS = [f.name for f in dataclasses.fields(apsp.ReadSettings)]


def test_read_settings_normalise_paths_and_compare_by_value():
    a = apsp.ReadSettings(profiles=["p.toml"], key_file="k", ambiguous="latest")
    b = apsp.ReadSettings(profiles=(Path("p.toml"),), key_file=Path("k"), ambiguous="latest")
    assert a == b and hash(a) == hash(b)
    assert a.profiles == (Path("p.toml"),) and a.key_file == Path("k")
    assert a != apsp.ReadSettings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.timezone = "UTC"
    with pytest.raises(TypeError):
        apsp.ReadSettings("Europe/London")  # keywords only


@pytest.mark.parametrize("fn", [apsp.read_dataset, apsp.validate, apsp.score])
def test_public_readers_take_every_setting_with_its_default(fn):
    params = inspect.signature(fn).parameters
    defaults = apsp.ReadSettings()
    for name in FIELDS:
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert params[name].default == getattr(defaults, name), name


@pytest.mark.parametrize("native", [_apsp.validate, _apsp.score])
def test_native_readers_take_what_read_settings_pass(native):
    params = inspect.signature(native).parameters
    for name in apsp.ReadSettings()._native():
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY, name


@pytest.mark.parametrize("ambiguous", typing.get_args(Ambiguous))
def test_every_ambiguous_word_is_accepted(ambiguous):
    ds = apsp.read_dataset(EXAMPLES / "demo", ambiguous=ambiguous)
    assert ds.manifest["settings"]["ambiguous"] == ambiguous


@pytest.mark.parametrize("nonexistent", typing.get_args(Nonexistent))
def test_every_nonexistent_word_is_accepted(nonexistent):
    ds = apsp.read_dataset(EXAMPLES / "demo", nonexistent=nonexistent)
    assert ds.manifest["settings"]["nonexistent"] == nonexistent


@pytest.mark.parametrize("fmt", typing.get_args(SynthFormat))
def test_every_synth_format_is_accepted(fmt, tmp_path):
    apsp.synth.generate(tmp_path, officers=20, days=60, seed=1, format=fmt)
    assert (tmp_path / f"officers.{fmt}").exists()
