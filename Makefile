# Steward developer tasks. `make` (or `make help`) lists them; a target shows up
# there when its rule line ends in a `## description` comment.

.DEFAULT_GOAL := help

HTMX_SRC := node_modules/htmx.org/dist/htmx.min.js

.PHONY: help run build test test-faults fuzz fuzz-long bench generate icons css js lint

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: ## Run the web server (go run ./cmd/web)
	go run ./cmd/web

build: ## Build the ./steward binary
	go build -o steward ./cmd/web

test: ## Run all tests with the race detector (STEWARD_E2E=1 adds browser tests, axe and the Nu HTML Checker)
	go test -race -count=1 ./...

# CI runs the fault tests trimmed (3 kill rounds, 5 s of load); this is the
# full version. It needs root (or CAP_SYS_ADMIN) to mount the tmpfs it fills.
test-faults: ## Full fault tests: 20 SIGKILL rounds, a full disk, 32 writers for 30 s
	STEWARD_FAULTS_FULL=1 go test -count=1 -timeout 20m -run '^TestFaults$$' -v ./cmd/web

# The fuzz targets: package and name. `go test -fuzz` takes one target per
# run. Each starts from its seeds and committed corpus (testdata/fuzz/<name>);
# an input that fails is written there, to commit with its fix.
FUZZ_TARGETS := ./internal/csvimport:FuzzParseImport ./handlers:FuzzRecordForm ./handlers:FuzzFormBody
FUZZTIME ?= 10s

fuzz: ## Run each fuzz target for FUZZTIME (default 10s; CI runs 5s each)
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "==> $${t#*:} for $(FUZZTIME)"; \
		go test -run='^$$' -fuzz="^$${t#*:}\$$" -fuzztime=$(FUZZTIME) $${t%%:*}; \
	done

fuzz-long: ## Run each fuzz target for 2 minutes
	@$(MAKE) --no-print-directory fuzz FUZZTIME=2m

# The benchmark at scale (docs/benchmarks.md): seeds a temporary database,
# runs the real server on 127.0.0.1 and loads every page a viewer may GET,
# alone and with background changes. Takes about 15 minutes; pass flags with
# BENCH_FLAGS, e.g. BENCH_FLAGS='-duration 1s -only "^/tokens" -pprof prof'.
bench: build ## Seed 10,000 owners, 100,000 tokens, 1M events; load every viewer and admin page of the real server; check the targets
	go run ./cmd/bench -steward ./steward $(BENCH_FLAGS)

generate: ## Regenerate *_templ.go from views/**/*.templ
	go tool templ generate

# The icon components come from the @tabler/icons npm package; cmd/icons
# lists the ones Steward uses.
icons: | node_modules ## Write views/icons/icons.go from @tabler/icons (after changing cmd/icons' list)
	go run ./cmd/icons

css: | node_modules ## Build static/css/app.css with Tailwind (after changing templates)
	npm run css

js: | node_modules ## Copy the pinned htmx from node_modules into static/js
	cp $(HTMX_SRC) static/js/htmx.min.js

lint: ## Fail on unformatted Go files, then go vet
	@files=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go')); \
	if [ -n "$$files" ]; then echo "gofmt needed:"; echo "$$files"; exit 1; fi
	go vet ./...

# Installed only when missing; run `npm ci` yourself after changing package-lock.json.
node_modules:
	npm ci --no-audit --no-fund
