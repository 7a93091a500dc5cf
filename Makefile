# pflow — the two commands of the README's quick start are `make demo` and `make test`.
SWIFT      ?= swift
PREFIX     ?= /usr/local
CONFIG     ?= debug
BIN        := .build/$(CONFIG)
DEMO       ?= workflows/due-diligence.yaml
FUZZ_SECONDS ?= 300
FUZZ_DIR   := .build-fuzz
export PATH := $(PATH):/opt/swift/usr/bin

.PHONY: all setup setup-browser setup-phoenix build release test demo install uninstall bench fuzz fmt check clean

all: build

# libyaml is the only system dependency; install it only when pkg-config cannot see it.
setup:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists yaml-0.1; then \
		echo "setup: installing libyaml-dev"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq pkg-config libyaml-dev; \
	fi
	@command -v $(SWIFT) >/dev/null 2>&1 || { echo "setup: swift not found (expected at /opt/swift/usr/bin)"; exit 1; }

# Chromium, for the end-to-end test that loads a run's report.html in a real browser (it
# is skipped without it). Debian's package; about a minute to install here.
setup-browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "setup-browser: installing chromium"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium; \
	fi

# Arize Phoenix in a venv of its own, the OTLP receiver the trace export is tested against
# (the test is skipped without it). 850 MB; 3.5 minutes to install here.
PHOENIX_VENV := .build-phoenix/venv
setup-phoenix:
	@if [ ! -x $(PHOENIX_VENV)/bin/phoenix ]; then \
		echo "setup-phoenix: installing arize-phoenix into $(PHOENIX_VENV)"; \
		python3 -m venv $(PHOENIX_VENV) 2>/dev/null || { \
			SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
			$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq python3-venv && \
			python3 -m venv $(PHOENIX_VENV); }; \
		$(PHOENIX_VENV)/bin/pip install -q arize-phoenix; \
	fi

build: setup
	$(SWIFT) build --product pflow

release: setup
	$(SWIFT) build -c release --product pflow

# The suite takes well under a minute; the watchdog turns a hang into a failure with a
# clear exit instead of a CI run that stalls until its own limit.
TEST_TIMEOUT ?= 1200
test: setup
	$(SWIFT) build --build-tests
	timeout --kill-after=30 $(TEST_TIMEOUT) $(SWIFT) test --skip-build || { rc=$$?; \
		[ $$rc -eq 124 ] && echo "make test: the suite ran past $(TEST_TIMEOUT)s and was stopped"; exit $$rc; }

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

# The libFuzzer target is its own package (Fuzz/) with its own scratch path, so `build`
# and `test` never compile it. The corpus starts from every example and fixture, copied
# into the ignored scratch folder; crashes, hangs (-timeout, seconds) and OOMs are written
# to $(FUZZ_DIR)/artifacts/ and make libFuzzer, and so this target, fail.
# --sanitize=fuzzer links libFuzzer's main but instruments only the Fuzz package itself;
# -Xswiftc adds the coverage counters to PFlowSpec, without which libFuzzer fuzzes blind.
fuzz: setup
	cd Fuzz && $(SWIFT) build -c release --scratch-path ../$(FUZZ_DIR) --sanitize=fuzzer --sanitize=address \
		-Xswiftc -sanitize=fuzzer,address
	mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/artifacts
	for seed in workflows/*.yaml $$(find Tests/Fixtures -name '*.yaml'); do \
		cp "$$seed" "$(FUZZ_DIR)/corpus/seed-$$(echo "$$seed" | tr / _)"; \
	done
	$(FUZZ_DIR)/release/PFlowFuzz $(FUZZ_DIR)/corpus -dict=Fuzz/yaml.dict \
		-max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix=$(FUZZ_DIR)/artifacts/ -print_final_stats=1

fmt:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

check:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

clean:
	rm -rf .build runs
