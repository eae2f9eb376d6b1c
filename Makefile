# The README's two commands. Each builds .venv from nothing when it is absent.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# The CPU build of PyTorch lies on these machines; an unpinned torch pulls GBs of CUDA.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[ray,test]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/riskalloc benchmark \
		--scenario bull-2010 --scenario bear-2003 --scenario covid-2017 \
		--strategies equal_weight,inverse_volatility,fixed_mix \
		--rebalance weekly --costs-bps 10 --out runs/demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/python -m pip install --quiet ruff
	$(BIN)/ruff check src tests bench

clean:
	rm -rf $(VENV) runs
