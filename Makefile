# grunndata — `make` lists the targets.
GO      ?= go
BIN     := bin/grunndata
DATA    ?= data
PRESET  ?= small
SEED    ?= 1
ADDR    ?= 127.0.0.1:8080
ADMIN   ?= 127.0.0.1:9090
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
FUZZTIME ?= 20s

.DEFAULT_GOAL := help
.PHONY: help build run test test-race lint fuzz bench-go clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/grunndata
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/grunndata

run: build ## generate (if needed), load and serve the synthetic dataset on $(ADDR), with development tokens
	@if [ ! -f $(DATA)/ACTIVE ]; then \
		echo "== no active generation in $(DATA): generating the $(PRESET) preset and loading it"; \
		$(BIN) gen --preset $(PRESET) --seed $(SEED) --out $(DATA)/source && \
		$(BIN) load --from $(DATA)/source --data $(DATA) || exit 1; \
	fi
	@TOKEN=$$($(BIN) token --key-dir $(DATA)/devkey --ttl 12h \
		--scope 'grunndata:organisation.read grunndata:personnel.read grunndata:person.read grunndata:gp.read') || exit 1; \
	echo "== try these (the server starts below; Ctrl-C stops it; the token is a 12 h development token):"; \
	$(BIN) examples --data $(DATA) --addr $(ADDR) --token $$TOKEN || exit 1; \
	echo "   metrics: curl -s http://$(ADMIN)/metrics | grep ^grunndata_"; \
	echo "   more tokens: $(BIN) token --key-dir $(DATA)/devkey --scope all"; \
	exec $(BIN) serve --data $(DATA) --addr $(ADDR) --admin-addr $(ADMIN) \
		--jwks $(DATA)/devkey/dev-jwks.json --issuer https://grunndata.local/dev-issuer --audience grunndata

test: ## run the whole test suite
	$(GO) test -count=1 -timeout 30m ./...

test-race: ## run the tests with the race detector
	$(GO) test -count=1 -race -timeout 20m ./...

lint: ## go vet and gofmt
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }

fuzz: ## run every fuzz target for FUZZTIME each
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

bench-go: ## Go microbenchmarks with -benchmem
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean: ## remove bin/, the default data directory and make fleet's fleet-data
	rm -rf bin $(DATA) fleet-data

.PHONY: fleet
fleet: build ## on loopback: embedded NATS, the $(PRESET) preset loaded and published, three replicas (:8081-8083); Ctrl-C stops all
	@BIN=$(BIN) PRESET=$(PRESET) SEED=$(SEED) deploy/fleet-dev.sh

.PHONY: bench-fleet
bench-fleet: build ## fleet figures on loopback: publish MB/s, replica join (small, medium), open-loop p99 over three replicas during a fleet-wide activation, AIN allocations/s single node vs fleet (deploy/bench-fleet.sh)
	@BIN=$(BIN) GO=$(GO) deploy/bench-fleet.sh

.PHONY: e2e
E2E_PRESET ?= medium
e2e: build ## end-to-end system test on $(E2E_PRESET): gen, load, serve, every route, delta, activations under load, rollback, backup/restore; writes e2e-report-YYYY-MM-DD.md
	$(GO) test -tags e2e -count=1 -timeout 60m -v ./e2e/ -args -bin $(abspath $(BIN)) -preset $(E2E_PRESET) -report-dir $(CURDIR)

.PHONY: bench bench-national
bench: build ## load test the medium preset: closed and open loop, server on CPU 0, generator on CPU 1 (bench/run.sh)
	@BIN=$(BIN) bench/run.sh medium

bench-national: build ## the same at national scale (bench-data/national; generating it takes a few minutes)
	@BIN=$(BIN) BENCH_DURATION=$${BENCH_DURATION:-30s} BENCH_WARMUP=$${BENCH_WARMUP:-30s} bench/run.sh national

.PHONY: screenshots
SCREENSHOTS ?= docs/screenshots
screenshots: ## console screenshots from the browser tests (headless chromium) into $(SCREENSHOTS); a file over 1 MiB is removed, not committed
	$(GO) test -count=1 -run '^TestConsoleInBrowser$$' ./cmd/grunndata -args -screenshots $(abspath $(SCREENSHOTS))
	$(GO) test -count=1 -run '^TestConsoleLayout$$' ./registry/console -args -screenshots $(abspath $(SCREENSHOTS))
	@for f in $(SCREENSHOTS)/*.png; do \
		if [ $$(stat -c %s "$$f") -gt 1048576 ]; then echo "== $$f is over 1 MiB: removed"; rm -f "$$f"; else ls -l "$$f"; fi; \
	done
