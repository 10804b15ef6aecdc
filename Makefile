# JalNet developer tasks. Every target that needs the venv runs scripts/bootstrap.sh
# first, which installs only what is missing (Debian packages, .venv, pip packages).
SHELL := /bin/bash
VENV  := .venv

.DEFAULT_GOAL := help
.PHONY: help bootstrap demo test lint package clean distclean

help:
	@echo "make bootstrap   install missing Debian packages, create $(VENV), pip install"
	@echo "make demo        run the demo into out/"
	@echo "make test        run the test suite (throw-away PostGIS, Qt offscreen)"
	@echo "                 e.g. make test PYTEST_ARGS='-k registry -x'"
	@echo "make lint        ruff check"
	@echo "make package     build the QGIS plugin zip (jalnet.<version>.zip)"
	@echo "make clean       remove outputs and caches; distclean also removes $(VENV)"

bootstrap:
	@bash scripts/bootstrap.sh

demo: bootstrap
	$(VENV)/bin/jalnet demo --out out

test: bootstrap
	bash scripts/run_tests.sh $(PYTEST_ARGS)

lint: bootstrap
	$(VENV)/bin/ruff check .

package: bootstrap
	bash scripts/package.sh .

clean:
	rm -rf out build dist *.egg-info .pytest_cache .ruff_cache jalnet.*.zip plugins.xml
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
