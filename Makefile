# The README's two commands. Each builds .venv from nothing when it is absent.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# The classical portfolios, four deep allocators and two deep RL agents (3 training seeds
# each, at the default budgets: deep 20 epochs with early stopping and yearly warm-started
# refits, RL 50,000 timesteps; `--preset full` is a study's). Each scenario ends with a
# verdict: does a deep or RL strategy's median seed beat 1/N and the best classical one?
# Cash earns the 3-month bill rate where the data has one (multi-asset-2008), else 0.
DEMO_STRATEGIES := equal_weight,inverse_volatility,fixed_mix,minimum_variance,mean_variance,maximum_sharpe,maximum_return,maximum_diversification,risk_parity,hrp,minimum_cvar,deep_sharpe,deep_cvar,vol_risk_budget,forecast_mvo,rl_ppo,rl_a2c

.PHONY: demo test bench lint clean chromium

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# The CPU build of PyTorch lies on these machines; an unpinned torch pulls GBs of CUDA.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[ray,test]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/riskalloc benchmark \
		--scenario bull-2010 --scenario bear-2003 --scenario covid-2017 --scenario multi-asset-2008 \
		--strategies $(DEMO_STRATEGIES) \
		--rebalance weekly --costs-bps 10 --risk-free auto --seeds 3 --out runs/demo

# One worker per core (pytest-xdist), whole files per worker so module fixtures run once.
test: $(STAMP) chromium
	$(BIN)/python -m pytest -n auto --dist loadfile

# The report's browser test opens report.html in Debian's Chromium (Playwright drives it;
# Playwright's own browser download is never used).
chromium:
	@command -v chromium >/dev/null || \
		(export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

lint: $(STAMP)
	$(BIN)/python -m pip install --quiet ruff
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) runs
