# Tack: `make demo` installs what is missing, builds, and runs a demo board;
# `make test` installs what is missing and runs every test: the Swift suites, the benchmark at
# a tiny size (it fails on errors and lost writes, never on timing), then the MCP server
# against the official Python SDK (both client lines, in venvs under .build/), then the
# "git neighbours" suite (git gc/repack/maintenance/commits around Tack; docs/reliability.md),
# then the web board in headless chromium (scripts/web-tests.sh).
SWIFT ?= swift
RELEASE_FLAGS = -c release --static-swift-stdlib

.PHONY: deps build release demo test stress bench template man format lint clean

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build $(RELEASE_FLAGS)

demo: release
	@bash scripts/demo.sh "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/tack"

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	python3 scripts/bench.py --smoke --bin "$$($(SWIFT) build --show-bin-path)"
	TACK_BINARY="$$($(SWIFT) build --show-bin-path)/tack" bash scripts/mcp-tests.sh
	TACK_BINARY="$$($(SWIFT) build --show-bin-path)/tack" bash scripts/neighbour-tests.sh
	TACK_BINARY="$$($(SWIFT) build --show-bin-path)/tack" bash scripts/web-tests.sh

# The "git neighbours" suite heavier: every concurrent scenario 5 times, with bigger loops.
stress: deps
	$(SWIFT) build
	TACK_STRESS=1 TACK_BINARY="$$($(SWIFT) build --show-bin-path)/tack" bash scripts/neighbour-tests.sh

# Numbers, not a test: p50/p95 per operation against the git CLI, at 1k, 10k and 100k tasks
# (about 8 minutes; BENCH_SIZES=1000,10000 for a quicker run).
bench: deps
	python3 scripts/bench.py

# Regenerate the embedded copy of BoardTemplate/ (a test fails when it is stale).
template:
	python3 scripts/generate-template.py

# Regenerate docs/tack.1 from the built tack's commands (a test fails when it misses one).
man: build
	python3 scripts/generate-man.py "$$($(SWIFT) build --show-bin-path)/tack" > docs/tack.1

format:
	$(SWIFT) format format --in-place --recursive Package.swift Sources Tests

lint:
	$(SWIFT) format lint --recursive Package.swift Sources Tests

clean:
	rm -rf .build
