# jobsys: the user's interface. `make help` lists the targets and the variables.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# npm's node package (a devDependency) puts Node 24 first, so TypeScript runs by type stripping.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

DEPS := node_modules/.installed
## how many test files make test runs at once
TEST_CONCURRENCY ?= 4

# Container images, named once here: charts/jobsys/values.yaml and k8s/ use the same names, and
# test/k8s checks that they do. Each is built by ops/build/Dockerfile with COMPONENT its suffix.
## registry prefix for up-local; push and deploy-* use the stack's ECR (empty: images imported into k3d)
IMAGE_REGISTRY ?=
## tag of the images built, pushed and deployed
export IMAGE_TAG ?= dev
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
K3D_VERSION := v5.8.3
# The k3s image up-local's cluster runs: Kubernetes of the minor rendered for (KUBE_VERSION). k3d's
# own default is linked in by its release build alone; built from source it is v1.21.7, which the
# chart's kubeVersion (>=1.25) refuses.
K3S_VERSION := v1.34.4-k3s1
export HELM := $(TOOLS)/helm
export KUSTOMIZE := $(TOOLS)/kustomize
export K3D := $(TOOLS)/k3d
# Prometheus's own exposition linter, built from the Prometheus module: its v0.3xx.y tags are
# Prometheus's v3.xx.y releases (v0.316.0 is Prometheus 3.16.0).
PROMETHEUS_VERSION := v0.316.0
export PROMTOOL := $(TOOLS)/promtool
# The runtime Lambda runs the dlq-lambda in, for make test-lambda-runtime: the Runtime Interface
# Emulator (Go; its repository tags no semantic versions, so a commit's pseudo-version pins it) in
# front of AWS's Node.js runtime interface client, whose npm install compiles curl, aws-lambda-cpp
# and a native addon (C++ build tools), in a prefix of its own so that make test never builds it.
LAMBDA_RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
LAMBDA_RIC_VERSION := 4.0.2
LAMBDA_RIC_PREFIX := $(CURDIR)/.tools/lambda-ric
export LAMBDA_RIE := $(TOOLS)/aws-lambda-rie
export LAMBDA_RIC := $(LAMBDA_RIC_PREFIX)/node_modules/aws-lambda-ric/index.mjs
# The Kubernetes version rendered for and validated against: kubernetes-models' schemas.
export KUBE_VERSION := 1.34.0
# The live cluster (make up-live, test-k8s-live): Kubernetes of this release built from source with
# Go, and CoreDNS for its DNS, cached under .tools by version (dev/kubernetes/live).
export KUBERNETES_VERSION := v1.34.4
export COREDNS_VERSION := v1.12.1
export LIVE_BIN := $(CURDIR)/.tools/kubernetes-$(KUBERNETES_VERSION)
## up-live/down-live: where the live cluster keeps its state (down-live removes it)
export LIVE_DIR ?= /var/tmp/jobsys-live

## the docker command (build, push)
export DOCKER ?= docker
## docker compose (v2) if present, else docker-compose (v1); both read ops/ec2's file
COMPOSE ?= $(shell $(DOCKER) compose version >/dev/null 2>&1 && echo '$(DOCKER) compose' || echo docker-compose)
## extra flags for every image build, e.g. --network=host or --build-arg SOURCEMAP=true
DOCKER_BUILD_FLAGS ?=

# AWS. The scripts read the region, the profile and the endpoint from the environment, as the aws
# CLI does: make passes on what you set and adds nothing when you set nothing.
## prefix of every AWS resource name (ops/aws/core/names.ts)
export STACK ?= jobsys
## region of every AWS call; empty: the region of AWS_PROFILE (aws configure get region)
AWS_REGION ?=
## the aws CLI profile: credentials and region
AWS_PROFILE ?=
## another AWS endpoint (moto, LocalStack), passed to the CLI as --endpoint-url; empty: AWS itself
AWS_ENDPOINT_URL ?=
## teardown: 1 keeps the DynamoDB table
export KEEP_DATA ?=
## bootstrap: a KMS key (id, ARN or alias) for the queues' encryption; empty: SQS-managed keys
export KMS_KEY_ID ?=
## bootstrap: an email address to subscribe to the stack's alerts topic (SNS mails it a link to confirm); empty: none
export ALERT_EMAIL ?=
## bootstrap: the queue's oldest-message alarm fires above this age, in seconds; empty: 600
export ALARM_MESSAGE_AGE ?=
## bootstrap: the incident-rate alarm fires above this many incidents in 5 minutes; empty: 10
export ALARM_INCIDENTS ?=
## teardown: 1 keeps the ECR repositories
export KEEP_IMAGES ?=
## deploy-ec2/ecs: who may reach SSH and the API; empty: your public IP/32
export ALLOWED_CIDR ?=
## deploy-ec2/ecs: the widest ALLOWED_CIDR accepted, as a prefix length; empty: 16
export ALLOWED_CIDR_MIN_PREFIX ?=
## deploy-ec2/ecs: 1 accepts an ALLOWED_CIDR wider than ALLOWED_CIDR_MIN_PREFIX (never /0)
export ALLOW_WIDE_CIDR ?=
## deploy-ec2: the instance type
export INSTANCE_TYPE ?= t3.small
## deploy-ec2: an EC2 key pair for SSH; empty: no SSH key
export KEY_NAME ?=
## deploy-ec2: the AMI; empty: the latest Amazon Linux 2023
AMI_ID ?=
## deploy-ec2: the port the API is published on; empty: 8080 (ECS: always 8080)
API_PORT ?=
## deploy-ec2: LOG_LEVEL of the services; empty: info
LOG_LEVEL ?=

## up-local/down-local: the k3d cluster
export K3D_CLUSTER ?= jobsys
## up-local/up-live: the Kubernetes namespace
export NAMESPACE ?= jobsys
## up-local/up-live: the api Service's NodePort, which answers on 127.0.0.1
export NODE_PORT ?= 30080

$(DEPS): package.json package-lock.json $(wildcard patches/*.patch)
	npm ci --no-audit --no-fund
	@touch $@

# make help is made from the annotations: `## ` after a target's prerequisites, a `## ` line above
# a variable, so that neither can be added without its line (ops/build/make-help.awk fails then).
# make passes each variable's value as HELP_<name>: what you set, else the default.
HELP_AWK := ops/build/make-help.awk

.PHONY: help
help: ## List the targets and the variables
	@$(foreach name,$(shell awk -v list=variables -f $(HELP_AWK) $(MAKEFILE_LIST)),HELP_$(name)='$(subst ','\'',$($(name)))') \
	  awk -f $(HELP_AWK) $(MAKEFILE_LIST)

print-%: ## Print a variable as make has it, e.g. make -s print-IMAGE_TAG (for scripts and tests)
	@printf '%s\n' '$(subst ','\'',$($*))'

.PHONY: install
install: $(DEPS) ## Install the dependencies (npm ci)

.PHONY: dev
dev: $(DEPS) ## Run the local AWS stack (and the system) on 127.0.0.1; Ctrl-C stops it
	node dev/main.ts

.PHONY: typecheck
typecheck: $(DEPS) ## Type-check everything (strict), the dashboard's browser scripts included (JSDoc, tsconfig.dashboard.json)
	tsc -p tsconfig.json
	tsc -p tsconfig.dashboard.json

.PHONY: test
test: typecheck ## Type-check, then every test that needs only Node (conformance on the local stack included); npm test runs this
	node --test --test-concurrency=$(TEST_CONCURRENCY) --test-timeout=120000 'test/*.test.ts' 'test/conformance/*.test.ts' 'test/drills/*.test.ts'

$(TOOLS)/.helm-$(HELM_VERSION):
	GOBIN=$(TOOLS) go install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
	@touch $@

$(TOOLS)/.kustomize-$(KUSTOMIZE_VERSION):
	GOBIN=$(TOOLS) go install sigs.k8s.io/kustomize/kustomize/$(firstword $(subst ., ,$(KUSTOMIZE_VERSION)))@$(KUSTOMIZE_VERSION)
	@touch $@

$(TOOLS)/.k3d-$(K3D_VERSION):
	dev/kubernetes/build-k3d.sh $(K3D_VERSION) $(K3D)
	@touch $@

.PHONY: k8s-tools
k8s-tools: $(TOOLS)/.helm-$(HELM_VERSION) $(TOOLS)/.kustomize-$(KUSTOMIZE_VERSION) $(TOOLS)/.k3d-$(K3D_VERSION) ## Build helm, kustomize and k3d (pinned) into .tools/bin (needs Go)

$(TOOLS)/.promtool-$(PROMETHEUS_VERSION):
	GOBIN=$(TOOLS) go install github.com/prometheus/prometheus/cmd/promtool@$(PROMETHEUS_VERSION)
	@touch $@

.PHONY: promtool
promtool: $(TOOLS)/.promtool-$(PROMETHEUS_VERSION) ## Build promtool (pinned) into .tools/bin (needs Go)

$(TOOLS)/.aws-lambda-rie-$(LAMBDA_RIE_VERSION):
	GOBIN=$(TOOLS) go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(LAMBDA_RIE_VERSION)
	@touch $@

# node-gyp compiles the addon against the headers of the Node 24 npm installed (nodedir), rather
# than downloading them, and npm runs under that Node because make puts it first on the PATH.
$(LAMBDA_RIC_PREFIX)/.aws-lambda-ric-$(LAMBDA_RIC_VERSION): $(DEPS)
	npm_config_nodedir=$(CURDIR)/node_modules/node/node_modules/node-$$(node -p 'process.platform + "-" + process.arch') \
	  npm install --no-audit --no-fund --prefix $(LAMBDA_RIC_PREFIX) aws-lambda-ric@$(LAMBDA_RIC_VERSION)
	@test -f $(dir $(LAMBDA_RIC))rapid-client.node || { echo "aws-lambda-ric's install scripts did not build rapid-client.node"; exit 1; }
	@touch $@

.PHONY: lambda-runtime-tools
lambda-runtime-tools: $(TOOLS)/.aws-lambda-rie-$(LAMBDA_RIE_VERSION) $(LAMBDA_RIC_PREFIX)/.aws-lambda-ric-$(LAMBDA_RIC_VERSION) ## Build the Lambda Runtime Interface Emulator and the Node.js runtime interface client (pinned) into .tools (needs Go and C++ build tools)

.PHONY: test-lambda-runtime
test-lambda-runtime: $(DEPS) lambda-runtime-tools ## The dlq-lambda's zip under the nodejs24.x runtime (emulator + runtime interface client) against the local stack
	node --test --test-concurrency=1 --test-timeout=300000 'test/lambda-runtime/*.test.ts'

.PHONY: test-terminal
test-terminal: $(DEPS) ## make dev in a real terminal (tmux): one line per event, colour on a TTY only (needs tmux)
	node --test --test-timeout=120000 'test/terminal/*.test.ts'

.PHONY: test-metrics
test-metrics: $(DEPS) promtool ## promtool check metrics on the api's and the worker's /metrics after jobs ran: no problem, no warning (needs Go)
	node --test --test-timeout=300000 'test/metrics-lint/*.test.ts'

.PHONY: test-browser
test-browser: $(DEPS) ## The dashboard in a real browser: Debian's chromium (/usr/bin/chromium) driven by playwright-core
	@test -x /usr/bin/chromium || { echo "make test-browser needs Debian's chromium: apt-get install chromium"; exit 1; }
	node --test --test-concurrency=1 --test-timeout=300000 'test/browser/*.test.ts'

.PHONY: screenshots
screenshots: ## make test-browser, writing its screenshots over docs/dashboard-*.png
	$(MAKE) test-browser SCREENSHOTS_DIR=$(CURDIR)/docs

.PHONY: test-k8s
test-k8s: $(DEPS) k8s-tools ## Lint, render and validate the Helm chart and the Kustomize overlays (needs Go)
	node --test --test-timeout=300000 'test/k8s/*.test.ts'

.PHONY: test-moto
test-moto: $(DEPS) ## The conformance suite (SNS's included) and the drills against moto_server (needs moto installed)
	TEST_BACKEND=moto node --test --test-concurrency=1 --test-timeout=120000 'test/conformance/*.test.ts' 'test/conformance/moto/*.test.ts' 'test/drills/*.test.ts'

.PHONY: openapi
openapi: $(DEPS) ## Write api/openapi.json from the job types (a test fails while it is out of date)
	node ops/build/write-openapi.ts

.PHONY: build-lambda
build-lambda: $(DEPS) ## Bundle the dlq-lambda (esbuild) into dist/dlq-lambda.zip for nodejs24.x, handler index.handler
	node ops/build/build-lambda.ts

.PHONY: bench
bench: $(DEPS) ## Benchmarks: our AWS client beside the AWS SDK, aws4 and @smithy/signature-v4
	node bench/run.ts

.PHONY: up-local
up-local: $(DEPS) k8s-tools ## jobsys on a local k3d cluster (needs Docker and Go; k3d is built pinned): create, build, import, install, wait; prints JOBSYS_URL
	@echo "== k3d cluster $(K3D_CLUSTER) (k3s $(K3S_VERSION)), NodePort $(NODE_PORT) published on 127.0.0.1"
	@$(K3D) cluster get $(K3D_CLUSTER) >/dev/null 2>&1 || $(K3D) cluster create $(K3D_CLUSTER) --wait \
	  --image rancher/k3s:$(K3S_VERSION) --port "127.0.0.1:$(NODE_PORT):$(NODE_PORT)@server:0"
	$(MAKE) build IMAGE_REGISTRY= IMAGE_TAG=$(IMAGE_TAG)
	kubeconfig=$$($(K3D) kubeconfig write $(K3D_CLUSTER)); \
	  KUBECONFIG=$$kubeconfig CLUSTER=k3d IMAGES='$(IMAGES)' dev/kubernetes/install-jobsys.sh

# k3d reports an engine it cannot reach as it reports a cluster that does not exist (no nodes
# found, and cluster delete exits 0): asking the engine first keeps "nothing to remove" true.
.PHONY: down-local
down-local: $(TOOLS)/.k3d-$(K3D_VERSION) ## Remove the local k3d cluster (and everything in it)
	@$(K3D) runtime-info >/dev/null || { echo "k3d reaches no Docker engine: cannot tell whether k3d cluster $(K3D_CLUSTER) exists"; exit 1; }
	@echo "== deleting k3d cluster $(K3D_CLUSTER), if it exists"
	@$(K3D) cluster delete $(K3D_CLUSTER)

$(LIVE_BIN)/.built:
	@echo "== building Kubernetes $(KUBERNETES_VERSION) with Go (about 8 minutes cold, under a minute with Go's build cache warm)"
	dev/kubernetes/live/build-kubernetes.sh $(LIVE_BIN)
	@touch $@

.PHONY: kubernetes-binaries
kubernetes-binaries: $(LIVE_BIN)/.built ## Build Kubernetes (pinned: control plane, kubelet, kube-proxy, kubectl) into .tools (needs Go)

.PHONY: up-live
up-live: $(DEPS) k8s-tools kubernetes-binaries build ## A single-node Kubernetes built here (root; Docker and Go; installs Debian's etcd, containerd, runc, CNI plugins) with jobsys installed; prints JOBSYS_URL
	@echo "== Debian's packages the cluster runs"
	dev/kubernetes/live/install-packages.sh
	@echo "== images no registry serves here: pause (static C), CoreDNS $(COREDNS_VERSION) (Go)"
	dev/kubernetes/live/build-images.sh
	@echo "== cluster $(KUBERNETES_VERSION) in $(LIVE_DIR)"
	dev/kubernetes/live/up.sh
	KUBECONFIG=$(LIVE_DIR)/admin.kubeconfig PATH="$(LIVE_BIN):$$PATH" CLUSTER=live IMAGES='$(IMAGES)' dev/kubernetes/install-jobsys.sh

.PHONY: down-live
down-live: ## Remove the live cluster: every process, mount, interface, iptables rule and file it made
	@echo "== removing the live cluster"
	dev/kubernetes/live/down.sh

.PHONY: test-k8s-live
test-k8s-live: ## up-live, the live checks (test/k8s-live), down-live whether they passed or not (root; see up-live)
	@$(MAKE) --no-print-directory down-live
	@status=0; $(MAKE) --no-print-directory up-live | tee $(LIVE_DIR).up.log || status=$$?; \
	  if [[ $$status == 0 ]]; then \
	    KUBECONFIG=$(LIVE_DIR)/admin.kubeconfig PATH="$(LIVE_BIN):$$PATH" JOBSYS_URL=$$(sed -n 's/^JOBSYS_URL=//p' $(LIVE_DIR).up.log | tail -1) \
	      IMAGES='$(IMAGES)' node --test --test-concurrency=1 --test-timeout=900000 'test/k8s-live/*.test.ts' || status=$$?; \
	  fi; \
	  $(MAKE) --no-print-directory down-live || status=$$?; rm -f $(LIVE_DIR).up.log; exit $$status

.PHONY: base-images
base-images: $(DEPS) ## Only where no registry is reachable: make the Dockerfile's FROM images locally (debootstrap, root)
	dev/base-images.sh

.PHONY: build
build: $(DEPS) build-lambda ## Build the container images (api, worker; dlq-runner, local-aws for k3d) and the Lambda zip
	@echo "== building images, tag $(IMAGE_TAG)"
	$(eval BUILD_FLAGS := -f ops/build/Dockerfile --force-rm --build-arg VERSION=$(IMAGE_TAG) --build-arg REVISION=$(shell git rev-parse HEAD 2>/dev/null || echo unknown) $(DOCKER_BUILD_FLAGS))
	$(DOCKER) build $(BUILD_FLAGS) --build-arg COMPONENT=api -t $(API_IMAGE):$(IMAGE_TAG) .
	$(DOCKER) build $(BUILD_FLAGS) --build-arg COMPONENT=worker -t $(WORKER_IMAGE):$(IMAGE_TAG) .
	$(DOCKER) build $(BUILD_FLAGS) --build-arg COMPONENT=dlq-runner -t $(DLQ_RUNNER_IMAGE):$(IMAGE_TAG) .
	$(DOCKER) build $(BUILD_FLAGS) --build-arg COMPONENT=local-aws -t $(LOCAL_AWS_IMAGE):$(IMAGE_TAG) .

.PHONY: push
push: $(DEPS) ## Log in to ECR, tag and push the api and worker images (after make build and make bootstrap)
	API_IMAGE=$(API_IMAGE) WORKER_IMAGE=$(WORKER_IMAGE) node ops/aws/commands/push.ts

.PHONY: bootstrap
bootstrap: $(DEPS) build-lambda ## Create or converge the AWS resources: table, queues, ECR, logs, IAM, alerts topic, the Lambda and its mapping, alarms, dashboard
	node ops/aws/commands/bootstrap.ts

.PHONY: deploy-ec2
deploy-ec2: $(DEPS) ## Run the api and worker on one EC2 instance with Docker Compose (after bootstrap and push)
	node ops/aws/commands/deploy-ec2.ts

.PHONY: deploy-ecs
deploy-ecs: $(DEPS) ## Run the api and worker on ECS Fargate (after bootstrap and push)
	node ops/aws/commands/deploy-ecs.ts

.PHONY: teardown
teardown: $(DEPS) ## Remove everything bootstrap and deploy-* created (KEEP_DATA=1 keeps the table, KEEP_IMAGES=1 the repositories)
	node ops/aws/commands/teardown.ts

.PHONY: test-containers
test-containers: $(DEPS) build ## Build the images and run them: image checks and the drills against Docker Compose (needs a Docker engine)
	IMAGE_TAG=$(IMAGE_TAG) DOCKER='$(DOCKER)' COMPOSE='$(COMPOSE)' node --test --test-concurrency=1 --test-timeout=900000 'test/containers/*.test.ts'

.PHONY: test-deploy
test-deploy: $(DEPS) build-lambda ## make bootstrap, deploy-ecs, deploy-ec2 and teardown against moto_server, twice each (needs moto and the aws CLI)
	node --test --test-concurrency=1 --test-timeout=900000 'test/deploy/*.test.ts'

.PHONY: test-chaos
test-chaos: $(DEPS) ## Fault drills under load: AWS errors, kill -9, lost publishes, DynamoDB down, duplicates, SIGTERM (TEST_BACKEND=moto for moto)
	node --test --test-concurrency=1 --test-timeout=300000 $(filter-out test/chaos/long-outage.test.ts,$(wildcard test/chaos/*.test.ts))

.PHONY: test-chaos-long
test-chaos-long: $(DEPS) ## DynamoDB, then SQS, down for 200 s with production settings: an outage spends no attempt (about 10 min; TEST_BACKEND=moto for moto)
	node --test --test-concurrency=1 --test-timeout=600000 test/chaos/long-outage.test.ts

.PHONY: test-scale
test-scale: $(DEPS) ## Backlog drill: BACKLOG_JOBS (20000) jobs queued with no worker consuming, then drained by 4 workers; at most 1.05 messages per job (about 10 min on a shared 2-core machine)
	node --test --test-concurrency=1 --test-timeout=1800000 'test/scale/*.test.ts'

.PHONY: test-fuzz
test-fuzz: $(DEPS) ## schemathesis against a running api, from api/openapi.json (installs it into ~/.cache/jobsys; needs python3)
	.ci/fuzz
