# trailguard — build, replay, test.
#
# SAM calls `make build-<LogicalId>` with ARTIFACTS_DIR set (BuildMethod: makefile);
# `make build` builds every function's bootstrap under bin/<name>/.

GO        ?= go
FUNCTIONS := logincheck tagenrich partitions rules aggregate godview cloudpoll
BIN       := bin
LDFLAGS   := -s -w
GOBUILD    = CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc,lambda$(EXTRA_TAGS) -trimpath -ldflags "$(LDFLAGS)"

# logincheck decodes one small event per invocation: its bootstrap decodes with encoding/json
# (internal/fastjson's stdjson tag) and so does not link goccy/go-json's 2 MB.
$(BIN)/logincheck/bootstrap build-LoginCheckFunction: EXTRA_TAGS := ,stdjson

.PHONY: build local demo test bench loadtest coldstart lint clean $(addprefix build-,$(FUNCTIONS))

build: $(addprefix $(BIN)/,$(addsuffix /bootstrap,$(FUNCTIONS)))

$(BIN)/%/bootstrap: FORCE
	$(GOBUILD) -o $@ ./functions/$*

# SAM makefile builds: one target per function's LogicalId in template.yaml.
build-LoginCheckFunction:
	$(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/logincheck

build-TagEnrichFunction:
	$(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/tagenrich

build-PartitionsFunction:
	$(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/partitions

build-RulesFunction:
	$(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/rules

build-AggregateFunction:
	$(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/aggregate

build-GodViewFunction:
	$(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/godview

build-CloudPollFunction:
	$(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/cloudpoll

# Host binaries for local runs (the docs' examples): bin/local/<name>, apart from make build's
# Lambda bootstraps under bin/<name>/.
local:
	@mkdir -p $(BIN)/local
	@for f in $(FUNCTIONS); do $(GO) build -o $(BIN)/local/$$f ./functions/$$f || exit 1; done

# Replays every sample event in events/ through its function, locally, on the embedded defaults.
demo:
	@scripts/demo

# Unit and integration tests; installs and starts the npm emulators on loopback, then stops them.
# scripts/ensure-browser installs Chromium for the god view's browser test when it is missing
# (Debian's chromium, as root); without one that test skips, and fails under CI=true.
test:
	@scripts/ensure-browser >/dev/null || echo "make test: no Chromium: functions/godview TestBrowser skips (fails under CI=true)" >&2
	@scripts/with-emulators $(GO) test -count=1 ./...

# -p 1: one package's benchmarks at a time, so no two of them share the machine's cores.
bench:
	@scripts/with-emulators $(GO) test -p 1 -run '^$$' -bench . -benchmem ./...

# Load test (not part of make test, which runs a small version): a million events through
# logincheck, rules and tagenrich with 50 invocations in flight on the in-memory stores and
# the wire fakes, and 100,000 against dynalite; one in 20 delivered twice. Prints LOADTEST lines.
LOADTEST_EVENTS          ?= 1000000
LOADTEST_EMULATOR_EVENTS ?= 100000
loadtest:
	@LOADTEST_EVENTS=$(LOADTEST_EVENTS) LOADTEST_EMULATOR_EVENTS=$(LOADTEST_EMULATOR_EVENTS) scripts/with-emulators \
	  $(GO) test -count=1 -p 1 -timeout 4h -v -run '^TestLoad(InMemory|Emulators)$$' ./functions/logincheck/ ./functions/rules/ ./functions/tagenrich/

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	@cp go.mod /tmp/trailguard.go.mod.bak && cp go.sum /tmp/trailguard.go.sum.bak && $(GO) mod tidy && \
	  if ! git diff --quiet -- go.mod go.sum; then git diff -- go.mod go.sum; \
	  cp /tmp/trailguard.go.mod.bak go.mod; cp /tmp/trailguard.go.sum.bak go.sum; echo "go mod tidy would change go.mod/go.sum"; exit 1; fi

clean:
	rm -rf $(BIN)

FORCE:
