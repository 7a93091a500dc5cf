# pflow — the two commands of the README's quick start are `make demo` and `make test`.
SWIFT      ?= swift
PREFIX     ?= /usr/local
CONFIG     ?= debug
BIN        := .build/$(CONFIG)
DEMO       ?= workflows/due-diligence.yaml
export PATH := $(PATH):/opt/swift/usr/bin

.PHONY: all setup build release test demo install uninstall bench fuzz fmt check clean

all: build

# libyaml is the only system dependency; install it only when pkg-config cannot see it.
setup:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists yaml-0.1; then \
		echo "setup: installing libyaml-dev"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq pkg-config libyaml-dev; \
	fi
	@command -v $(SWIFT) >/dev/null 2>&1 || { echo "setup: swift not found (expected at /opt/swift/usr/bin)"; exit 1; }

build: setup
	$(SWIFT) build --product pflow

release: setup
	$(SWIFT) build -c release --product pflow

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

demo: setup
	$(SWIFT) build --product pflow
	$(BIN)/pflow plan $(DEMO)
	$(BIN)/pflow run $(DEMO) --out runs

install: release
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 .build/release/pflow $(DESTDIR)$(PREFIX)/bin/pflow

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/pflow

bench: setup
	python3 bench/run.py

fmt:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

check:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

clean:
	rm -rf .build runs
