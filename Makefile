# pxevirt: `make demo` and `make test` work on a fresh Debian machine as root.
SHELL := /bin/bash
.DEFAULT_GOAL := help

NPM_STAMP := node_modules/.package-lock.json

.PHONY: help setup deps native demo test typecheck unit integration bench clean

help:
	@echo "make demo   - install what is missing, then PXE-boot the seed scenario's guest"
	@echo "make test   - install what is missing, type-check and run every test"
	@echo "make bench  - install what is missing, run the benchmarks against their peers"

## setup: Debian packages, npm dependencies, then the web UI and CLI builds (all idempotent)
setup: deps $(NPM_STAMP) native
	@node --import tsx scripts/build-web.ts
	@node --import tsx scripts/build-cli.ts

deps:
	@bash scripts/setup-debian.sh

## native: the TFTP data path in C (src/pxe/tftp/native.ts loads it; without it the JS path runs).
## Built with the machine's gcc against the N-API headers the nodejs package installs.
NATIVE_TFTP := build/native/tftp_data.node
native: $(NATIVE_TFTP)

$(NATIVE_TFTP): native/tftp_data.c
	@test -f /usr/include/node/node_api.h || { echo "make native: expected the N-API headers at /usr/include/node/node_api.h (installed with the nodejs package), found none" >&2; exit 1; }
	@mkdir -p $(dir $@)
	gcc -shared -fPIC -O2 -std=gnu11 -Wall -Wextra -Werror -I/usr/include/node -o $@.tmp $< && mv $@.tmp $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

typecheck: setup
	npx tsc --noEmit -p .
	npx tsc --noEmit -p src/web/client

test: setup typecheck
	@bash scripts/run-tests.sh

unit: setup
	@bash scripts/run-tests.sh unit

integration: setup
	@bash scripts/run-tests.sh integration

demo: setup
	node --import tsx scripts/demo.ts

bench: setup
	node --import tsx bench/run.ts

clean:
	rm -rf build dist artifacts
