# Two entry points for a bare machine: `make demo` (the main job) and `make test`.
# Each creates .venv on first use and installs panodepth with its dev extras.
# torch/torchvision are pinned here (not in pyproject) to the builds this machine kind has on disk.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
TORCH_PINS ?= torch==2.14.1 torchvision==0.29.1

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check $(TORCH_PINS)
	$(PY) -m pip install -q --disable-pip-version-check -e ".[dev]"
	touch $@

.PHONY: install test test-fast lint demo demo-project bench
install: $(VENV)/.installed

test: $(VENV)/.installed
	@bash tools/install_chromium.sh
	$(PY) -m pytest -q

# the inner loop (< 1 min on 2 CPU cores): everything but the tests marked slow (overfits, the
# big students' architecture checks, files over 100 MB, Lightning fits, DDP, fresh
# interpreters, the demo); the ten slowest tests are listed so that creep shows
test-fast: $(VENV)/.installed
	$(PY) -m pytest -q -m "not slow" --durations=10

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests benchmarks tools
	$(VENV)/bin/ruff format --check src tests benchmarks tools

# real panoramas for smoke runs live beside the repo (never copied into it); depth maps excluded
SAMPLES := $(filter-out %depth_u16.png,$(wildcard ../shared/data/panoramas/*.png ../shared/data/panoramas/*.jpg))

# the main job: the paper's experiment on synthetic domains (≤ 15 min on a 2-core CPU)
demo: $(VENV)/.installed
	$(VENV)/bin/panodepth demo --out outputs/demo

# projections of the sample panoramas (the previous demo)
demo-project: $(VENV)/.installed
	$(VENV)/bin/panodepth project $(SAMPLES) --pattern --out outputs/project --rotate 30 20 10 --fov 90

bench: $(VENV)/.installed
	$(PY) benchmarks/projection.py
