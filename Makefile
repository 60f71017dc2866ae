# jobsys: the user's interface. `make help` lists the targets.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# npm's node package (a devDependency) puts Node 24 first, so TypeScript runs by type stripping.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

DEPS := node_modules/.installed
TEST_CONCURRENCY ?= 4

# Container images, named once here: charts/jobsys/values.yaml and k8s/ use the same names, and
# test/k8s checks that they do. Empty registry: images imported into k3d.
IMAGE_REGISTRY ?=
IMAGE_TAG ?= dev
API_IMAGE := jobsys-api
WORKER_IMAGE := jobsys-worker
DLQ_RUNNER_IMAGE := jobsys-dlq-runner
LOCAL_AWS_IMAGE := jobsys-local-aws
IMAGES := $(API_IMAGE) $(WORKER_IMAGE) $(DLQ_RUNNER_IMAGE) $(LOCAL_AWS_IMAGE)

# Kubernetes tools, built from source by the Go toolchain into a project-local directory
# (pinned; a stamp per version, so a changed pin rebuilds and an existing one is reused).
TOOLS := $(CURDIR)/.tools/bin
HELM_VERSION := v3.19.5
KUSTOMIZE_VERSION := v5.5.0
export HELM := $(TOOLS)/helm
export KUSTOMIZE := $(TOOLS)/kustomize
# The Kubernetes version rendered for and validated against: kubernetes-models' schemas.
export KUBE_VERSION := 1.34.0

K3D_CLUSTER ?= jobsys
NAMESPACE ?= jobsys

$(DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

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
	node --test --test-concurrency=$(TEST_CONCURRENCY) --test-timeout=120000 'test/*.test.ts' 'test/conformance/*.test.ts' 'test/drills/*.test.ts'

$(TOOLS)/.helm-$(HELM_VERSION):
	GOBIN=$(TOOLS) go install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
	@touch $@

$(TOOLS)/.kustomize-$(KUSTOMIZE_VERSION):
	GOBIN=$(TOOLS) go install sigs.k8s.io/kustomize/kustomize/$(firstword $(subst ., ,$(KUSTOMIZE_VERSION)))@$(KUSTOMIZE_VERSION)
	@touch $@

.PHONY: k8s-tools
k8s-tools: $(TOOLS)/.helm-$(HELM_VERSION) $(TOOLS)/.kustomize-$(KUSTOMIZE_VERSION) ## Build helm and kustomize (pinned) into .tools/bin (needs Go)

.PHONY: test-k8s
test-k8s: $(DEPS) k8s-tools ## Lint, render and validate the Helm chart and the Kustomize overlays (needs Go)
	node --test --test-timeout=300000 'test/k8s/*.test.ts'

.PHONY: test-moto
test-moto: $(DEPS) ## The conformance suite and the drills against moto_server (needs moto installed)
	TEST_BACKEND=moto node --test --test-concurrency=1 --test-timeout=120000 'test/conformance/*.test.ts' 'test/drills/*.test.ts'

.PHONY: build-lambda
build-lambda: $(DEPS) ## Bundle the dlq-lambda (esbuild) into dist/dlq-lambda.zip for nodejs24.x, handler index.handler
	node dlq-lambda/build.ts

.PHONY: bench
bench: $(DEPS) ## Benchmarks: our AWS client beside the AWS SDK, aws4 and @smithy/signature-v4
	node bench/run.ts

.PHONY: up-local
up-local: k8s-tools ## jobsys on a local k3d cluster (needs Docker and k3d): create, build, import, install, wait
	@command -v k3d >/dev/null || { echo "k3d is not installed: see docs/deploy-k3d.md"; exit 1; }
	@echo "== k3d cluster $(K3D_CLUSTER)"
	@k3d cluster get $(K3D_CLUSTER) >/dev/null 2>&1 || k3d cluster create $(K3D_CLUSTER) --wait
	@echo "== images $(IMAGES) (tag $(IMAGE_TAG))"
	@if grep -qE '^build:' $(MAKEFILE_LIST); then $(MAKE) build IMAGE_REGISTRY= IMAGE_TAG=$(IMAGE_TAG); \
	  else echo "no 'make build' yet: build $(IMAGES) yourself (docs/deploy-k3d.md), then run this again"; \
	  for image in $(IMAGES); do docker image inspect $$image:$(IMAGE_TAG) >/dev/null || exit 1; done; fi
	@echo "== importing the images into k3d"
	k3d image import --cluster $(K3D_CLUSTER) $(foreach image,$(IMAGES),$(image):$(IMAGE_TAG))
	@echo "== helm upgrade --install jobsys (dev mode)"
	$(HELM) upgrade --install jobsys charts/jobsys --kube-context k3d-$(K3D_CLUSTER) \
	  --namespace $(NAMESPACE) --create-namespace -f charts/jobsys/examples/dev.yaml \
	  --set image.registry= --set image.tag=$(IMAGE_TAG) --wait --timeout 5m
	@echo "== waiting for the api"
	kubectl --context k3d-$(K3D_CLUSTER) -n $(NAMESPACE) rollout status deployment/jobsys-api --timeout=2m
	@echo "== ready. In another terminal:"
	@echo "  kubectl --context k3d-$(K3D_CLUSTER) -n $(NAMESPACE) port-forward service/jobsys-api 8080:80"
	@echo "  curl -si -X POST localhost:8080/jobs -H 'content-type: application/json' -d '{\"type\":\"transform\",\"payload\":{\"text\":\"hello\"}}'"

.PHONY: down-local
down-local: ## Remove the local k3d cluster (and everything in it)
	@command -v k3d >/dev/null || { echo "k3d is not installed: nothing to remove"; exit 0; }
	@if k3d cluster get $(K3D_CLUSTER) >/dev/null 2>&1; then echo "== deleting k3d cluster $(K3D_CLUSTER)"; k3d cluster delete $(K3D_CLUSTER); \
	  else echo "no k3d cluster $(K3D_CLUSTER): nothing to remove"; fi
