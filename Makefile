# jobsys: the user's interface. `make help` lists the targets.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# npm's node package (a devDependency) puts Node 24 first, so TypeScript runs by type stripping.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

DEPS := node_modules/.installed
TEST_CONCURRENCY ?= 4

$(DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

.PHONY: install
install: $(DEPS) ## Install the dependencies (npm ci)

.PHONY: dev
dev: $(DEPS) ## Run the local AWS stack (and the system) on 127.0.0.1; Ctrl-C stops it
	node dev/main.ts

.PHONY: typecheck
typecheck: $(DEPS) ## Type-check everything (strict)
	tsc -p tsconfig.json

.PHONY: test
test: typecheck ## Type-check, then every test that needs only Node (conformance on the local stack included)
	node --test --test-concurrency=$(TEST_CONCURRENCY) --test-timeout=120000 'test/**/*.test.ts'

.PHONY: test-moto
test-moto: $(DEPS) ## The conformance suite and the drills against moto_server (needs moto installed)
	TEST_BACKEND=moto node --test --test-concurrency=1 --test-timeout=120000 'test/conformance/*.test.ts' 'test/drills/*.test.ts'

.PHONY: build-lambda
build-lambda: $(DEPS) ## Bundle the dlq-lambda (esbuild) into dist/dlq-lambda.zip for nodejs24.x, handler index.handler
	node dlq-lambda/build.ts

.PHONY: bench
bench: $(DEPS) ## Benchmarks: our AWS client beside the AWS SDK, aws4 and @smithy/signature-v4
	node bench/run.ts
