# Two commands set everything up on a fresh machine:
#   make build   installs the generator in .venv and builds the sample catalogue into output/
#   make test    installs the test tools (and Chromium, for the browser tests) and runs the whole suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
BASE_URL ?=
BUILD_FLAGS ?=

.PHONY: build check test test-fast serve serve-output browser editor bench lighthouse screenshots clean

EDITOR := editor/dist/installed.json

build: $(VENV)/.installed tools/node_modules/.installed $(EDITOR)
	$(BIN)/catalogue build $(if $(BASE_URL),--base-url $(BASE_URL)) $(BUILD_FLAGS)

check: $(VENV)/.installed
	$(BIN)/catalogue check

# The tests run in as many processes as the machine has cores (pytest-xdist's -n auto; -n 0 runs them in one)
TEST_PROCESSES ?= auto

test: $(VENV)/.test-installed browser $(EDITOR)
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) $(PYTEST_ARGS)

# The everyday subset (well under a minute): everything but the tests marked slow; make test runs them all
test-fast: $(VENV)/.test-installed $(EDITOR)
	$(BIN)/python -m pytest -m "not slow" -n $(TEST_PROCESSES) $(PYTEST_ARGS)

# The Python packages' versions, as tested together (see constraints.txt; CONSTRAINTS= installs the newest)
CONSTRAINTS ?= constraints.txt

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "Installing Python's venv module (Debian package python3-venv)"; rm -rf $(VENV); \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq python3-venv && \
	  $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(if $(CONSTRAINTS),-c $(CONSTRAINTS)) -e .
	@# compiled once here, where PYTHONDONTWRITEBYTECODE would have every build compile it again (0.06 s)
	$(BIN)/python -m compileall -q generator
	touch $@

# esbuild, from npm, minifies the theme's CSS and JavaScript (Debian's npm is installed when it is missing)
tools/node_modules/.installed: tools/package.json tools/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "Installing npm, for the theme's minifier (Debian package 'npm')"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm; }
	npm ci --prefix tools --no-audit --no-fund --loglevel=error
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed tools/node_modules/.installed $(CONSTRAINTS)
	$(BIN)/python -m pip install --quiet $(if $(CONSTRAINTS),-c $(CONSTRAINTS)) -e '.[test]'
	touch $@

# Debian's Chromium, driven by Playwright (Playwright's own browser download is not used).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Chromium for the browser tests (Debian package 'chromium')"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# The web editor (/admin/): Decap CMS as pinned in editor/package.json and its lock file, fetched with npm and
# checked against the lock file's integrity into editor/dist/ (not committed). npm comes from Debian if missing.
editor: $(EDITOR)

$(EDITOR): editor/package.json editor/package-lock.json | $(VENV)/.installed
	@command -v npm >/dev/null 2>&1 || { \
	  echo "Installing npm for the web editor (Debian package 'npm')"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm; }
	$(BIN)/python -m generator.site.editor

# Live preview: rebuilds and reloads as files change (http://127.0.0.1:8000/); its /admin/ writes into content/
serve: $(VENV)/.installed tools/node_modules/.installed $(EDITOR)
	$(BIN)/catalogue serve

# Benchmarks (figures, not tests): builds, search in the browser, live preview; N courses (default 4000)
N ?= 4000
bench: $(VENV)/.test-installed browser
	$(BIN)/python benchmarks/build.py --n $(N) --scale $$(( $(N) * 5 ))
	$(BIN)/python benchmarks/search.py --n $(N)
	$(BIN)/python benchmarks/serve.py --n $(N)

# Lighthouse's four scores of four pages of the sample, mobile settings (a figure, not a test; npm, first use)
lighthouse: $(VENV)/.test-installed browser
	$(BIN)/python benchmarks/lighthouse.py

# The README's pictures: the sample at 375 and 1280 px, into docs/screenshots/
screenshots: $(VENV)/.test-installed browser
	$(BIN)/python docs/screenshots.py

# Preview the built site at http://127.0.0.1:8000/
serve-output:
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory output 8000

clean:
	rm -rf output $(VENV) .pytest_cache tools/node_modules editor/dist
