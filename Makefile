# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON_VERSION := 3.10.13
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test train validate conversations clean system-packages

$(STAMP): requirements.txt constraints.txt
	@test -x $(PY) || { \
	  base=$$(command -v pyenv >/dev/null && pyenv prefix $(PYTHON_VERSION) 2>/dev/null); \
	  if [ -n "$$base" ]; then "$$base/bin/python" -m venv $(VENV); else python3.10 -m venv $(VENV); fi; }
	$(PY) -m pip install --quiet --upgrade "pip<24"
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	touch $(STAMP)

# Readable log lines in a terminal; servers elsewhere log JSON (LOG_FORMAT, README).
run: $(STAMP)
	LOG_FORMAT=$${LOG_FORMAT:-text} $(PY) -m bot run

# First what the suite needs from the system (chromium): installed as root, else one line
# saying what to install, before the long steps start.
test: system-packages $(STAMP)
	$(PY) -m pytest

system-packages:
	@sh scripts/system-packages.sh

train: $(STAMP)
	$(PY) -m bot run --train-only

validate: $(STAMP)
	$(PY) -m rasa data validate --fail-on-warnings

conversations: $(STAMP)
	$(PY) -m tests.conversations

clean:
	rm -rf var models .pytest_cache
