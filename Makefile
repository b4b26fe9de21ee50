# Steward developer tasks. `make` (or `make help`) lists them; a target shows up
# there when its rule line ends in a `## description` comment.

.DEFAULT_GOAL := help

HTMX_SRC := node_modules/htmx.org/dist/htmx.min.js

.PHONY: help run build test generate css js lint

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: ## Run the web server (go run ./cmd/web)
	go run ./cmd/web

build: ## Build the ./steward binary
	go build -o steward ./cmd/web

test: ## Run all tests with the race detector (STEWARD_E2E=1 adds browser tests)
	go test -race -count=1 ./...

generate: ## Regenerate *_templ.go from views/**/*.templ
	go tool templ generate

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
