# Weir — the two commands: `make run` (set up, build, start the demo) and `make test`
# (set up, build, run every test). See README.md.
JOBS ?= $(shell nproc)
DEV := build/dev
REL := build/release

.PHONY: setup web build-dev build-release run test bench clean fmt

setup:
	@scripts/setup.sh

web: setup
	@if [ -f web/package.json ]; then cd web && npm run --silent build; fi

build-dev: setup web
	@cmake --preset dev >/dev/null
	@cmake --build $(DEV) -j $(JOBS)

build-release: setup web
	@cmake --preset release >/dev/null
	@cmake --build $(REL) -j $(JOBS)

# `make run` builds only what it runs: the server and the device agent.
run: setup web
	@cmake --preset release >/dev/null
	@cmake --build $(REL) -j $(JOBS) --target weir weir-device
	@scripts/run-demo.sh $(REL)

test: build-dev
	@cd $(DEV) && WEIR_BUILD_DIR=$(CURDIR)/$(DEV) ctest --output-on-failure -j $(JOBS) --timeout 600

bench: build-release
	@scripts/run-bench.sh $(REL)

fmt:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf build
