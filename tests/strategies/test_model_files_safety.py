"""Model files that cannot hurt: schema and bounds, the digest, tensor shapes, no NaN weights.

Each refusal is a :class:`~riskalloc.RiskallocError` of one line naming the file, raised
before a tensor is read. ``reseal`` recomputes a manifest's digest after an edit, as a
careful forger would: it lets a test reach the checks behind the digest (schema, shapes).
"""

from __future__ import annotations

import hashlib
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskalloc as ra
from riskalloc.core import ConfigError, DataError, RiskallocError
from riskalloc.strategies import load_model
from riskalloc.strategies._model_files import json_depth, read_json_file, sealed_digest
from riskalloc.strategies.deep import _persistence

SCENARIO = ra.scenario("bull-2010")
DATA = ra.MarketData(SCENARIO.prices, name="bull-2010")
TRAIN = DATA.until(SCENARIO.train_end)
LOAD = _persistence.load_file
TINY = {
    "retrain_every": None,
    "network": "mlp",
    "epochs": 1,
    "lookback": 10,
    "hidden_size": 8,
    "n_layers": 1,
    "volatility_windows": (5,),
    "ma_windows": (5,),
    "rsi_window": None,
    "drawdown_window": 20,
    "market": False,
}


@pytest.fixture(autouse=True)
def _one_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    torch.set_num_threads(1)
    return (
        ra.get_strategy("deep_sharpe", seed=2, **TINY)
        .fit(TRAIN)
        .save(tmp_path_factory.mktemp("models") / "ds")
    )


@pytest.fixture
def folder(saved, tmp_path) -> Path:
    return Path(shutil.copytree(saved, tmp_path / "ds"))


def manifest_of(folder: Path) -> dict:
    return json.loads((folder / "model.json").read_text())


def write_manifest(folder: Path, manifest: dict, *, reseal: bool) -> None:
    if reseal:
        payload = None if "members" in manifest else folder / "model.safetensors"
        manifest["sha256"] = sealed_digest(manifest, payload)
    (folder / "model.json").write_text(json.dumps(manifest))


def refusal(folder: Path, match: str) -> str:
    with pytest.raises(RiskallocError, match=match) as error:
        load_model(folder)
    message = str(error.value)
    assert "\n" not in message and str(folder) in message
    return message


# --- the digest -----------------------------------------------------------------------------
def test_the_digest_is_sha256_of_the_canonical_manifest_then_the_tensors(saved):
    manifest = manifest_of(saved)
    body = {k: v for k, v in manifest.items() if k != "sha256"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    tensors = (saved / "model.safetensors").read_bytes()
    expected = hashlib.sha256(
        b"riskalloc.manifest\n" + len(canonical).to_bytes(8, "little") + canonical + tensors
    ).hexdigest()
    assert manifest["sha256"] == expected
    assert manifest["version"] == 2 and manifest["format"] == "riskalloc.model"


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m["params"].update(learning_rate=0.5),
        lambda m: m.update(assets=m["assets"][:-1]),  # the MLP serves any asset count
        lambda m: m.update(assets=m["assets"][::-1]),
        lambda m: m["features"]["mean"].__setitem__(0, 0.0),
        lambda m: m["training"]["context"].update(costs_bps=0.0),
        lambda m: m["training"].update(end="2016-01-04"),
        lambda m: m["versions"].update(torch="0"),
        lambda m: m.pop("extra"),
    ],
)
def test_editing_any_manifest_value_is_detected(folder, edit):
    manifest = manifest_of(folder)
    edit(manifest)
    write_manifest(folder, manifest, reseal=False)
    refusal(folder, "was modified after riskalloc saved the model")


def test_a_changed_or_truncated_tensor_file_is_detected(folder):
    tensors = folder / "model.safetensors"
    raw = tensors.read_bytes()
    tensors.write_bytes(raw[: len(raw) // 2])
    refusal(folder, "was modified")
    # Re-sealed over the truncated file, it is refused as a damaged safetensors file.
    write_manifest(folder, manifest_of(folder), reseal=True)
    refusal(folder, "not a readable safetensors file")


def test_a_model_saved_by_format_1_is_refused_with_a_request_to_retrain(folder):
    manifest = manifest_of(folder)
    manifest["version"] = 1
    write_manifest(folder, manifest, reseal=False)
    refusal(folder, "older riskalloc .*train and save the model again")


# --- the schema, checked before anything is built ------------------------------------------
@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m["params"].update(hidden_size="8"), "'params.hidden_size' must be an integer"),
        (lambda m: m["params"].update(hidden_size=10**9), "'params': parameter 'hidden_size' = 1000000000 exceeds 4096"),
        (lambda m: m["params"].update(n_layers=10**6), "'n_layers' = 1000000 exceeds 32"),
        (lambda m: m["params"].update(lookback=10**7), "'lookback' = 10000000 exceeds"),
        (lambda m: m["params"].update(network="resnet"), "parameter 'network' must be one of"),
        (lambda m: m["params"].update(ma_windows=[[5]]), "'params.ma_windows' must be"),
        (lambda m: m["params"].update(volume=3), "'params.volume' is not a parameter"),
        (lambda m: m["params"].update(dropout=float("nan")), "'dropout' must be a number"),
        (lambda m: m.update(strategy="equal_weight"), "not a saved deep strategy"),
        (lambda m: m.update(strategy="x" * 10_000), "'strategy' must be a strategy name"),
        (lambda m: m.update(assets=[*m["assets"][:-1], m["assets"][0]]), "'assets' names '.+' twice"),
        (lambda m: m.update(assets=["", *m["assets"][1:]]), r"'assets\[0\]' must be a non-empty"),
        (lambda m: m.update(assets="AAPL"), "'assets' must be a list"),
        (lambda m: m["features"]["std"].__setitem__(1, 0.0), r"'features.std\[1\]' must be a finite number > 0"),
        (lambda m: m["features"].update(mean=[]), "'features.mean' must be a list of"),
        (lambda m: m["features"]["params"].update(lookback=11), "'features.params.lookback' is 11"),
        (lambda m: m["training"].update(end="not a date"), "'training.end' must be a date"),
        (lambda m: m["training"]["context"].update(costs_bps="10"), "'training.context.costs_bps'"),
        (lambda m: m.update(extra={"x": [[1]]}), "'extra.x' must hold plain values"),
    ],
)  # fmt: skip
def test_a_manifest_outside_the_schema_is_refused_before_any_tensor_is_read(
    folder, edit, message, monkeypatch
):
    def never(*args, **kwargs):
        raise AssertionError("tensors were read")

    monkeypatch.setattr(_persistence, "load_file", never)
    manifest = manifest_of(folder)
    edit(manifest)
    write_manifest(folder, manifest, reseal=True)
    started = time.perf_counter()
    refusal(folder, message)
    assert time.perf_counter() - started < 1.0


def test_json_nested_beyond_the_bound_or_the_parser_is_refused(folder):
    (folder / "model.json").write_text("[" * 100_000 + "]" * 100_000)  # RecursionError in json
    refusal(folder, "nested deeper than 16 levels")
    (folder / "model.json").write_text('{"format": ' + "[" * 40 + "]" * 40 + "}")
    refusal(folder, "nested deeper than 16 levels")
    assert json_depth({"a": [1, {"b": []}]}) == 3


def test_oversized_files_are_refused_by_their_size_before_they_are_read(folder):
    with (folder / "model.json").open("r+b") as file:
        file.truncate(17 * 2**20)  # sparse: no disk used
    refusal(folder, "more than a model manifest may hold")


def test_an_oversized_tensor_file_is_refused_by_its_size(saved, tmp_path):
    folder = Path(shutil.copytree(saved, tmp_path / "big"))
    with (folder / "model.safetensors").open("r+b") as file:
        file.truncate(2**30 + 1)
    refusal(folder, "more than a riskalloc model may hold")


def test_a_huge_integer_is_refused_as_json(folder):
    (folder / "model.json").write_text('{"format": ' + "9" * 5000 + "}")
    refusal(folder, "not valid JSON")


# --- tensor shapes against the manifest ------------------------------------------------------
@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m["params"].update(hidden_size=16), "has shape .* the manifest implies"),
        (
            lambda m: m["params"].update(n_layers=2),
            r"tensor 'model.0.body.3.(bias|weight)' is missing",
        ),
        (lambda m: m["params"].update(network="lstm"), "unexpected tensor"),
        (
            lambda m: m["features"].update(
                feature_names=m["features"]["feature_names"][:-1],
                mean=m["features"]["mean"][:-1],
                std=m["features"]["std"][:-1],
            ),
            "has shape",
        ),
    ],
)
def test_tensors_that_do_not_fit_the_manifest_are_refused_before_they_are_read(
    folder, edit, message, monkeypatch
):
    monkeypatch.setattr(_persistence, "load_file", lambda *a, **k: pytest.fail("tensors read"))
    manifest = manifest_of(folder)
    edit(manifest)
    write_manifest(folder, manifest, reseal=True)
    refusal(folder, f"tensors do not fit a deep_sharpe model.*{message}")


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("deep_sharpe", {"network": "lstm"}),
        ("deep_sharpe", {"network": "tcn"}),
        ("deep_sharpe", {"network": "transformer", "attention": "linear"}),
        ("deep_cvar", {"max_weight": 0.5}),
        ("forecast_mvo", {"covariance_window": 60}),
        ("vol_risk_budget", {"correlation_window": 60, "n_regimes": 2}),
    ],
)
def test_every_network_and_deep_strategy_passes_the_shape_check_on_reload(tmp_path, name, params):
    short = ra.MarketData(SCENARIO.prices.iloc[:400], name="short")
    strategy = ra.get_strategy(name, **{**TINY, "n_layers": 2, **params}).fit(short)
    loaded = load_model(strategy.save(tmp_path / name))
    dates = DATA.dates[400:403]
    np.testing.assert_array_equal(
        loaded.allocate(DATA, dates).to_numpy(), strategy.allocate(DATA, dates).to_numpy()
    )


def test_saving_over_a_model_of_another_kind_leaves_nothing_stale(saved, tmp_path):
    folder = tmp_path / "m"
    (folder / "member_3").mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"kind": "riskalloc.strategies.rl"}))
    (folder / "policy.zip").write_bytes(b"an old policy")
    load_model(saved).save(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["model.json", "model.safetensors"]
    assert ra.load_model(folder).assets_ == list(DATA.assets)


# --- ensembles ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ensemble(tmp_path_factory) -> Path:
    torch.set_num_threads(1)
    strategy = ra.get_strategy("deep_ensemble", base="deep_sharpe", members=2, **TINY)
    return strategy.fit(TRAIN).save(tmp_path_factory.mktemp("models") / "ens")


def test_an_ensemble_is_sealed_over_its_members(ensemble, tmp_path):
    folder = Path(shutil.copytree(ensemble, tmp_path / "ens"))
    assert ra.load_model(folder).members == 2
    manifest = manifest_of(folder)
    assert len(manifest["member_sha256"]) == 2
    # Members swapped: each is intact, but not where the ensemble put it.
    (folder / "member_0").rename(folder / "swap")
    (folder / "member_1").rename(folder / "member_0")
    (folder / "swap").rename(folder / "member_1")
    refusal(folder, "not the member this ensemble saved")
    # A member's manifest edited: its own digest refuses it.
    shutil.rmtree(folder)
    folder = Path(shutil.copytree(ensemble, tmp_path / "ens"))
    member = manifest_of(folder / "member_1")
    member["params"]["learning_rate"] = 1.0
    write_manifest(folder / "member_1", member, reseal=False)
    refusal(folder, r"member_1/model.json: .*was modified")
    # The ensemble's manifest edited.
    manifest["params"]["seed"] = 5
    write_manifest(folder, manifest, reseal=False)
    refusal(folder, "ens/model.json: model.json was modified")
    manifest["members"] = ["member_0"]  # a member dropped, re-sealed: the schema notices
    write_manifest(folder, manifest, reseal=True)
    refusal(folder, "'member_sha256' must list one SHA-256 per member")


# --- non-finite weights --------------------------------------------------------------------
def test_nan_weights_are_an_error_naming_the_strategy_and_date(folder):
    model = load_model(folder)
    with torch.no_grad():
        next(model.model_.parameters()).fill_(float("nan"))
    date = DATA.dates[-1]
    with pytest.raises(
        DataError, match=rf"deep_sharpe: non-finite weight \(nan\) .* on {date.date()}"
    ):
        model.allocate(DATA, DATA.dates[-1:])


# --- property: malformed manifests -----------------------------------------------------------
def _paths(value, prefix=(), depth=0):
    yield prefix
    if depth >= 3:
        return
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else []
    )
    for key, item in list(items)[:6]:
        yield from _paths(item, (*prefix, key), depth + 1)


def _apply(manifest, path, operation, junk):
    if not path:
        return junk if operation == "replace" else manifest
    parent = manifest
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if operation == "delete":
        del parent[key]
    elif operation == "nest":
        nested = parent[key]
        for _ in range(20):
            nested = [nested]
        parent[key] = nested
    else:
        parent[key] = junk
    return manifest


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, -1, 4097, 10**6, 10**9, 2**62]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.recursive(st.integers() | st.text(max_size=4), lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=6),
)  # fmt: skip
MUTATION = st.one_of(
    st.tuples(st.just("path"), st.integers(0, 10**6), st.sampled_from(["replace", "delete", "nest"]), JUNK),
    st.tuples(st.sampled_from(["trim_assets", "duplicate_asset", "truncate_tensors"]), st.integers(1, 7), st.just(""), st.none()),
)  # fmt: skip


def mutate(folder: Path, mutation, reseal: bool) -> None:
    kind, number, operation, junk = mutation
    manifest = manifest_of(folder)
    if kind == "path":
        paths = list(_paths(manifest))
        manifest = _apply(manifest, paths[number % len(paths)], operation, junk)
    elif kind == "trim_assets":
        manifest["assets"] = manifest["assets"][:number]
    elif kind == "duplicate_asset":
        manifest["assets"][number] = manifest["assets"][0]
    else:
        tensors = folder / "model.safetensors"
        raw = tensors.read_bytes()
        tensors.write_bytes(raw[: len(raw) * number // 8])
    if reseal and isinstance(manifest, dict):
        manifest["sha256"] = sealed_digest(manifest, folder / "model.safetensors")
    (folder / "model.json").write_text(json.dumps(manifest))


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(mutation=MUTATION, reseal=st.booleans())
def test_a_malformed_manifest_gives_one_typed_line_and_reads_no_tensor(
    saved, monkeypatch, mutation, reseal
):
    reads = []
    monkeypatch.setattr(_persistence, "load_file", lambda *a, **k: reads.append(1) or LOAD(*a, **k))
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(shutil.copytree(saved, Path(scratch) / "ds"))
        mutate(folder, mutation, reseal)
        started = time.perf_counter()
        try:
            model = load_model(folder)
        except RiskallocError as error:
            message = str(error)
            assert message and "\n" not in message and len(message) < 2000
            assert not reads, "refused after reading the tensors"
            assert time.perf_counter() - started < 2.0
        else:  # an edit re-sealed into a valid model: it allocates, or refuses in one line
            if set(model.assets_) <= set(DATA.assets):
                history = ra.MarketData(SCENARIO.prices[model.assets_])
                try:
                    weights = model.allocate(history, history.dates[-3:])
                except RiskallocError as error:
                    assert "\n" not in str(error)
                else:
                    assert np.isfinite(weights.to_numpy()).all()
    # Nothing big was allocated: the peak resident size grew by less than 300 MB (KiB on Linux).
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 300_000


def test_read_json_file_is_bounded(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"a": [[1]]}))
    assert read_json_file(path) == {"a": [[1]]}
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_json_file(path)
