"""Saved models: model.safetensors + model.json, identical weights after loading, no pickle."""

from __future__ import annotations

import json

import numpy as np
import pytest

import riskalloc as ra
from riskalloc.core import ConfigError
from riskalloc.strategies import load_model
from riskalloc.strategies._model_files import sealed_digest
from riskalloc.strategies.deep import read_manifest

TRAIN = 1000


@pytest.fixture(scope="module")
def fitted(planted_prices, tiny):
    train = ra.MarketData(planted_prices.iloc[:TRAIN])
    return ra.get_strategy("deep_cvar", epochs=2, risk_aversion=2.0, max_weight=0.6, **tiny).fit(
        train
    )


def test_round_trip_gives_the_same_weights_bit_for_bit(fitted, planted_prices, tmp_path):
    fitted.save(tmp_path / "dc")
    assert sorted(p.name for p in (tmp_path / "dc").iterdir()) == [
        "model.json",
        "model.safetensors",
    ]
    loaded = load_model(tmp_path / "dc")
    history = ra.MarketData(planted_prices)
    dates = history.dates[TRAIN:]
    np.testing.assert_array_equal(
        fitted.allocate(history, dates).to_numpy(), loaded.allocate(history, dates).to_numpy()
    )
    assert loaded.get_params() == fitted.get_params()
    assert loaded.assets_ == fitted.assets_ and loaded.fit_end_ == fitted.fit_end_


def test_the_manifest_holds_config_features_scaler_and_assets(fitted, tmp_path):
    fitted.save(tmp_path / "dc")
    manifest = read_manifest(tmp_path / "dc")
    assert manifest["strategy"] == "deep_cvar"
    assert manifest["params"]["risk_aversion"] == 2.0
    assert manifest["assets"] == ["A0", "A1", "A2", "A3"]
    features = manifest["features"]
    assert features["feature_names"] == fitted.features_.feature_names_
    np.testing.assert_array_equal(features["mean"], fitted.features_.mean_)
    assert manifest["training"]["end"] == str(fitted.fit_end_.date())


def test_the_tensor_file_is_plain_safetensors_with_no_pickle(fitted, tmp_path):
    fitted.save(tmp_path / "dc")
    raw = (tmp_path / "dc" / "model.safetensors").read_bytes()
    header_size = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + header_size])
    assert all(key.startswith(("model.", "__metadata__")) for key in header)
    assert b"\x80\x04" not in raw[: 8 + header_size]  # no pickle protocol marker in the header


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "model.json").write_text("{not json"), "not valid JSON"),
        (lambda d: (d / "model.json").write_text('{"format": "other"}'), "not a riskalloc model"),
        (lambda d: (d / "model.safetensors").unlink(), "model.safetensors is missing"),
        (lambda d: (d / "model.safetensors").write_bytes(b"\x00" * 64), "SHA-256"),
    ],
)
def test_a_damaged_model_is_refused_with_one_clear_line(fitted, tmp_path, damage, message):
    directory = fitted.save(tmp_path / "dc")
    damage(directory)
    with pytest.raises(ConfigError, match=message):
        load_model(directory)


def test_tensors_that_do_not_fit_the_parameters_are_refused(fitted, tmp_path):
    directory = fitted.save(tmp_path / "dc")
    manifest = json.loads((directory / "model.json").read_text())
    manifest["params"]["hidden_size"] = 16
    (directory / "model.json").write_text(json.dumps(manifest))
    with pytest.raises(ConfigError, match="was modified"):  # the digest covers the manifest
        load_model(directory)
    # Re-sealed (a digest is no signature), the tensors' shapes still give it away.
    manifest["sha256"] = sealed_digest(manifest, directory / "model.safetensors")
    (directory / "model.json").write_text(json.dumps(manifest))
    with pytest.raises(ConfigError, match="do not fit"):
        load_model(directory)


def test_a_missing_folder_and_an_unfitted_strategy_are_named(tmp_path, tiny):
    with pytest.raises(ConfigError, match="no such model folder"):
        load_model(tmp_path / "nothing")
    with pytest.raises(ConfigError, match="fit the strategy"):
        ra.get_strategy("deep_sharpe", **tiny).save(tmp_path / "x")
