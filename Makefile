# The two commands of the README: `make run` and `make test`.
.PHONY: run test

VENV := .venv

run: $(VENV)/.installed
	$(VENV)/bin/frontdesk run

$(VENV)/.installed: pyproject.toml
	[ -x $(VENV)/bin/python ] || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e .
	touch $@

test:
	scripts/install-test-deps
	$(VENV)/bin/python -m pytest
