# plaibot: `make run` serves the chat, `make test` runs the tests. Both install first.
VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-stamp
LLM_STAMP := $(VENV)/.llm-stamp
HOST    ?= 127.0.0.1
PORT    ?= 7860

.PHONY: install install-llm ui-deps index run test eval bench soak widget-size clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# torch first, pinned: the CPU build on this disk; an unpinned torch pulls CUDA. The
	# default embedder needs no torch; the tests also run the sentence-transformers one.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test,scale,sentence-transformers]'
	touch $(STAMP)

install: $(STAMP)

# The chat-model extras, and a real model server for the tests. llama.cpp is compiled for
# any x86-64 (the native build crashes on the test model here); pip caches the wheel.
$(LLM_STAMP): $(STAMP)
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/pip install -q -e '.[test,scale,sentence-transformers,llm,llm-server]'
	touch $(LLM_STAMP)

install-llm: $(LLM_STAMP)

index: install
	$(BIN)/plaibot index

run: install
	$(BIN)/plaibot serve --host $(HOST) --port $(PORT)

# axe-core (npm) for the browser tests' accessibility checks; they are skipped without npm.
ui-deps:
	@if command -v npm >/dev/null 2>&1; then cd ui && npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the accessibility checks will be skipped"; fi

test: install-llm ui-deps
	$(BIN)/python -m pytest -q -rs

# Both embedders side by side: the multilingual default and the packaged MiniLM.
EVAL_MODELS := --model multilingual-e5-small --model all-MiniLM-L6-v2

eval: install
	$(BIN)/plaibot eval tests/golden/ecosystem.yaml
	$(BIN)/plaibot eval tests/visitors.yaml --fact-first
	$(BIN)/plaibot eval ../shared/eval/idk_mrc_valid.json --compare $(EVAL_MODELS)
	$(BIN)/plaibot eval ../shared/eval/xquad_en_dev.json --compare $(EVAL_MODELS)
	$(BIN)/plaibot eval ../shared/eval/idk_mrc_valid.json --against-knowledge $(EVAL_MODELS)
	$(BIN)/plaibot eval ../shared/eval/xquad_en_dev.json --against-knowledge $(EVAL_MODELS)

widget-size: install
	$(BIN)/python benchmarks/widget_size.py

bench: install widget-size
	$(BIN)/python benchmarks/cli_start.py
	$(BIN)/python benchmarks/run.py

# Mixed chat, streaming, feedback and re-indexing traffic on loopback; SOAK_MINUTES=10 by
# default; SOAK_HOSTS=2 for two hosts sharing Chroma, Redis and PostgreSQL servers.
soak: install
	$(BIN)/python benchmarks/soak.py

clean:
	rm -rf $(VENV) .plaibot .pytest_cache ui/node_modules
