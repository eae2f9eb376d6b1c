"""Property: whatever damage a finished run folder takes, a rerun of the same command either
refuses in one line, writing nothing, or finishes with the very same metrics; nothing
outside the run folder changes and no finished cell is lost."""

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from riskalloc.cli import app

runner = CliRunner()
COMMAND = (
    "benchmark",
    "--scenario",
    "bull-2010",
    "--strategies",
    "equal_weight,inverse_volatility",
    "--rebalance",
    "weekly",
    "--workers",
    "1",
    "--no-progress",
)
ACTIONS = ("truncate", "delete", "garble", "empty")


def snapshot(folder: Path) -> dict[str, bytes | None]:
    return {
        str(path.relative_to(folder)): path.read_bytes() if path.is_file() else None
        for path in sorted(folder.rglob("*"))
    }


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("damage") / "run"
    result = runner.invoke(app, [*COMMAND, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def damage(path: Path, action: str, number: int) -> None:
    """Truncate, delete, garble or empty a file, or a folder (garbled: a file in its place)."""
    if not path.exists():
        return  # gone with a folder damaged before
    if path.is_dir():
        if action == "delete":
            shutil.rmtree(path)
        elif action == "garble":
            shutil.rmtree(path)
            path.write_bytes(bytes([number % 256]) * 7)
        else:
            for inner in path.rglob("*"):
                if inner.is_file():
                    inner.unlink()
        return
    data = path.read_bytes()
    if action == "delete":
        path.unlink()
    elif action == "empty" or not data:
        path.write_bytes(b"")
    elif action == "truncate":
        path.write_bytes(data[: number % len(data)])
    else:
        at = number % len(data)
        path.write_bytes(data[:at] + bytes([data[at] ^ (1 + number % 255)]) + data[at + 1 :])


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_damaged_run_folder_is_refused_or_rerun_to_the_same_metrics(finished, data):
    names = sorted(str(path.relative_to(finished)) for path in finished.rglob("*"))
    damages = data.draw(
        st.lists(
            st.tuples(st.sampled_from(names), st.sampled_from(ACTIONS), st.integers(0, 2**20)),
            min_size=1,
            max_size=3,
        ),
        label="damages",
    )
    cells = [cell["id"] for cell in json.loads((finished / "config.json").read_text())["cells"]]
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        run = root / "run"
        shutil.copytree(finished, run)
        sibling = root / "sibling"
        (sibling / "cells").mkdir(parents=True)
        (sibling / "metrics.csv").write_text("mine\n")
        (sibling / "cells" / "keep.json").write_text("{}")
        beside = snapshot(sibling)
        for name, action, number in damages:
            damage(run / name, action, number)
        damaged = snapshot(run)

        result = runner.invoke(app, [*COMMAND, "--out", str(run)])

        assert "Traceback" not in result.output
        event("refused" if result.exit_code else "rerun")
        if result.exit_code != 0:
            assert result.exit_code == 2, result.output
            lines = [line for line in result.output.splitlines() if line.strip()]
            assert len(lines) == 1 and lines[0].startswith("error:"), result.output
            assert snapshot(run) == damaged  # refused before writing anything
        else:
            assert (run / "metrics.csv").read_bytes() == (finished / "metrics.csv").read_bytes()
            for cell in cells:  # every finished cell is there, whole, with the same returns
                for file in ("returns.parquet", "weights.parquet", "cell.json"):
                    assert (run / "cells" / cell / file).is_file()
                original = finished / "cells" / cell / "returns.parquet"
                assert (run / "cells" / cell / "returns.parquet").read_bytes() == (
                    original.read_bytes()
                )
        assert snapshot(sibling) == beside
        assert sorted(path.name for path in root.iterdir()) == ["run", "sibling"]
