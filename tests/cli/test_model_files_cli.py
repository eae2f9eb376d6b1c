"""Model files on the command line: `train --out` checked before training, `allocate` that
refuses bad model folders and NaN weights in one line (exit 2), and JSON that is always JSON."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import riskalloc as ra
from riskalloc.cli import app
from riskalloc.cli._json_output import json_text
from riskalloc.strategies import load_model
from riskalloc.strategies._model_files import sealed_digest

runner = CliRunner()
SCENARIO = ra.scenario("bull-2010")
TINY_PARAMS = {
    "retrain_every": None, "network": "mlp", "epochs": 1, "lookback": 10, "hidden_size": 8,
    "n_layers": 1, "volatility_windows": (5,), "ma_windows": (5,), "rsi_window": None,
    "drawdown_window": 20, "market": False,
}  # fmt: skip
TINY = [
    "--param", "epochs=1", "--param", "hidden_size=8", "--param", "n_layers=1",
    "--param", "lookback=10", "--param", "volatility_windows=5", "--param", "ma_windows=5",
    "--param", "rsi_window=none", "--param", "drawdown_window=20", "--param", "market=false",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _one_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    torch.set_num_threads(1)
    data = ra.MarketData(SCENARIO.prices, name="bull-2010")
    strategy = ra.get_strategy("deep_sharpe", seed=1, **TINY_PARAMS)
    return strategy.fit(data.until(SCENARIO.train_end)).save(
        tmp_path_factory.mktemp("models") / "ds"
    )


@pytest.fixture(scope="module")
def latest(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("prices") / "latest.csv"
    SCENARIO.prices.to_csv(path, index_label="date")
    return path


def one_line_error(result, message: str) -> str:
    assert result.exit_code == 2, result.output
    text = result.output.strip()
    assert "Traceback" not in text and "\n" not in text, text
    assert text.startswith("error:") and message in text, text
    return text


def train(out: str, *extra: str):
    return runner.invoke(
        app, ["train", "--scenario", "bull-2010", "--strategy", "deep_sharpe", *TINY,
              "--out", out, *extra],
    )  # fmt: skip


# --- train --out, checked before training ---------------------------------------------------
def test_an_output_path_that_cannot_hold_a_model_is_refused_before_training(tmp_path):
    file = tmp_path / "notes.txt"
    file.write_text("mine")
    cases = [
        (str(file), "is a file, not a folder"),
        (str(file / "model"), "notes.txt is a file, so no folder can be made under it"),
        ("", "an empty path"),
        ("  ", "an empty path"),
    ]
    for out, message in cases:
        started = time.perf_counter()
        one_line_error(train(out), message)
        assert time.perf_counter() - started < 5  # no data loaded, no epoch run
    assert file.read_text() == "mine"


def test_a_read_only_destination_is_refused_before_training(tmp_path, monkeypatch):
    from riskalloc.strategies import _model_folder

    monkeypatch.setattr(_model_folder.os, "access", lambda path, mode: False)
    one_line_error(train(str(tmp_path / "m")), "is not writable")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("manifest.json", '{"mine": true}'),
        ("model.json", '{"format": "my.own.thing"}'),
        ("notes.txt", "mine"),
        ("cells/cell.json", "{}"),
    ],
)
def test_a_folder_holding_files_riskalloc_did_not_write_is_refused_and_left_alone(
    tmp_path, name, content
):
    out = tmp_path / "out"
    (out / name).parent.mkdir(parents=True)
    (out / name).write_text(content)
    for extra in ([], ["--replace"]):  # --replace never takes over a foreign folder
        one_line_error(train(str(out), *extra), "which is not part of a riskalloc model")
    assert (out / name).read_text() == content
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [name]


def test_a_model_folder_is_replaced_only_with_replace(saved, tmp_path):
    out = Path(shutil.copytree(saved, tmp_path / "ds"))
    before = (out / "model.json").read_text()
    one_line_error(train(str(out)), "holds a riskalloc model already; pass --replace")
    assert (out / "model.json").read_text() == before
    result = train(str(out), "--replace", "--seed", "7")
    assert result.exit_code == 0, result.output
    assert json.loads((out / "model.json").read_text())["params"]["seed"] == 7
    assert sorted(p.name for p in out.iterdir()) == ["model.json", "model.safetensors"]
    # A model folder with a file of the user's in it is foreign: save refuses it.
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ra.ConfigError, match=r"notes.txt, which is not part of a riskalloc"):
        load_model(out).save(out)
    assert (out / "notes.txt").read_text() == "mine"


def test_train_refuses_sizes_a_saved_model_cannot_have_before_training(tmp_path):
    result = train(str(tmp_path / "m"), "--param", "hidden_size=100000")
    one_line_error(result, "parameter 'hidden_size' = 100000 exceeds 4096")
    assert not (tmp_path / "m").exists()


# --- allocate -----------------------------------------------------------------------------
def test_allocate_refuses_nan_weights_naming_strategy_and_date(saved, latest, tmp_path):
    model = load_model(saved)
    with torch.no_grad():
        next(model.model_.parameters()).fill_(float("nan"))
    broken = model.save(tmp_path / "nan")
    for output in ("table", "json"):
        result = runner.invoke(
            app, ["allocate", "--model", str(broken), "--prices", str(latest), "--format", output]
        )
        last = SCENARIO.prices.index[-1].date()
        one_line_error(result, "deep_sharpe: non-finite weight (nan) for")
        assert f"on {last}" in result.output


def _strict(text: str):
    def refuse(constant: str):
        raise AssertionError(f"bare {constant} in JSON output")

    return json.loads(text, parse_constant=refuse)


def test_allocate_json_is_strict_json(saved, latest):
    result = runner.invoke(
        app, ["allocate", "--model", str(saved), "--prices", str(latest), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    answer = _strict(result.output)
    assert sum(answer["weights"].values()) == pytest.approx(1.0)


def test_json_text_writes_non_finite_figures_as_null():
    import numpy as np

    text = json_text({"a": float("nan"), "b": [np.float64("inf"), 1.5], "c": np.int64(3)})
    assert _strict(text) == {"a": None, "b": [None, 1.5], "c": 3}


def test_an_edited_manifest_is_refused_by_allocate_in_one_line(saved, latest, tmp_path):
    folder = Path(shutil.copytree(saved, tmp_path / "ds"))
    manifest = json.loads((folder / "model.json").read_text())
    manifest["assets"] = manifest["assets"][:-1]
    (folder / "model.json").write_text(json.dumps(manifest))
    result = runner.invoke(app, ["allocate", "--model", str(folder), "--prices", str(latest)])
    one_line_error(result, "model.safetensors was modified after riskalloc saved the model")


# --- property: malformed manifests through `allocate` ------------------------------------------
JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**66), 2**66), st.floats(), st.text(max_size=8),
    st.sampled_from([10**9, 4097, -1, [], {}, [[[[[]]]]], "mlp", "AAPL"]),
)  # fmt: skip
KEYS = st.sampled_from(
    [
        ("strategy",), ("assets",), ("assets", 0), ("assets", 7), ("params",),
        ("params", "network"), ("params", "hidden_size"), ("params", "lookback"),
        ("params", "n_layers"), ("params", "ma_windows"), ("params", "dropout"),
        ("features",), ("features", "mean"), ("features", "std"), ("features", "feature_names"),
        ("features", "params"), ("features", "params", "lookback"), ("training",),
        ("training", "end"), ("training", "context"), ("extra",), ("version",), ("format",),
    ]
)  # fmt: skip


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(key=KEYS, junk=JUNK, delete=st.booleans(), reseal=st.booleans())
def test_allocate_on_a_malformed_manifest_exits_2_with_one_line(
    saved, latest, key, junk, delete, reseal
):
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(shutil.copytree(saved, Path(scratch) / "ds"))
        manifest = json.loads((folder / "model.json").read_text())
        parent = manifest
        for part in key[:-1]:
            parent = parent[part]
        if delete:
            del parent[key[-1]]
        else:
            parent[key[-1]] = junk
        if reseal:
            manifest["sha256"] = sealed_digest(manifest, folder / "model.safetensors")
        (folder / "model.json").write_text(json.dumps(manifest))
        result = runner.invoke(
            app, ["allocate", "--model", str(folder), "--prices", str(latest), "--format", "json"]
        )
    if result.exit_code == 0:  # a harmless edit, re-sealed
        assert _strict(result.output)["weights"]
    else:
        one_line_error(result, "")
