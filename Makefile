# The two commands a new user needs (see README):
#   make run    set up what the app needs (scripts/setup.sh), then serve it (the index builds
#               itself on first run)
#   make test   set up the app and the test tools (scripts/setup.sh --tests: dev extra, the local
#               test LLM, Chromium), then run the whole test suite
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False
PY := .venv/bin/python

.PHONY: setup run test test-fast eval bench
setup:
	bash scripts/setup.sh

run: setup
	$(PY) app.py

test:
	bash scripts/setup.sh --tests
	$(PY) -m pytest -q --durations=15

test-fast:
	$(PY) -m pytest -q -m "not slow and not browser"

eval:
	$(PY) -m eval run --out reports/qa
