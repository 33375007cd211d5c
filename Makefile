# Education-information chatbot: every command a developer or CI needs.
# `make run` and `make test` set everything up from scratch when needed (idempotent).
SHELL := /bin/bash
.DEFAULT_GOAL := help
RASA := PYTHONPATH=$(CURDIR) .venv-rasa/bin/rasa
PY := .venv/bin/python
RASA_DATA := data/nlu data/rules data/stories

.PHONY: help setup setup-browser model kb run test test-unit test-rasa test-nlu eval-routing test-integration bench lock lint clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

setup: ## Install Redis, both Python environments and the offline embedding model (idempotent)
	@bash scripts/setup.sh

setup-browser: ## setup + Debian chromium for the browser tests
	@bash scripts/setup.sh --browser

model: setup ## Train the Rasa model if its training data changed
	@bash scripts/train.sh

kb: setup ## Load the built-in demo knowledge base (data/kb) into BOT_DATA_DIR
	@.venv/bin/bot kb add data/kb

run: model kb ## Start Redis, Rasa, the action server and the app (web chat on http://localhost:8000)
	@$(PY) scripts/services.py run

test: setup-browser model ## Run every test: Rasa data/stories checks, unit, integration, browser
	@$(MAKE) --no-print-directory test-rasa
	@$(PY) -m pytest tests -q

test-unit: setup ## Only the fast tests (no real services)
	@$(PY) -m pytest tests -q -m "not integration and not browser"

test-rasa: model ## rasa data validate + test conversations with --fail-on-prediction-errors
	@$(RASA) data validate --domain bot/domain --data $(RASA_DATA) --config config.yml
	@$(RASA) test core --stories tests/stories --model $$(ls -t models/edubot-*.tar.gz | head -1) \
		--e2e --fail-on-prediction-errors --out results/core

test-nlu: model ## NLU evaluation on the held-out set (prints the BENCHMARKS.md section)
	@PYTHONPATH=$(CURDIR) .venv-rasa/bin/python scripts/nlu_eval.py --model $$(ls -t models/edubot-*.tar.gz | head -1)

eval-routing: model ## Routing of third-party question sets (../shared/eval-third-party) to the knowledge path
	@PYTHONPATH=$(CURDIR) .venv-rasa/bin/python scripts/eval_routing.py

test-integration: model ## Only the tests that start the real services
	@$(PY) -m pytest tests -q -m integration

bench: model kb ## Benchmarks (stack memory/latency, retrieval, connectors); writes BENCHMARKS.md
	@$(PY) scripts/bench_stack.py
	@$(PY) scripts/bench_retrieval.py
	@$(PY) scripts/bench_connectors.py

lock: ## Re-pin requirements/*.lock from the current environments
	@.venv-rasa/bin/pip freeze --exclude-editable > requirements/rasa.lock
	@.venv/bin/pip freeze --exclude-editable | grep -v '^edubot' > requirements/app.lock

lint: setup ## ruff over the code
	@$(PY) -m ruff check .

clean: ## Remove built models, results and caches (keeps environments and data)
	rm -rf models results .pytest_cache
