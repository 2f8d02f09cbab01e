# meshloom — build, local cluster, tests, demo.
# `make demo` and `make test` are the two commands the README promises on a fresh machine.

SHELL := /bin/bash
.DEFAULT_GOAL := help

NODE_RUN     := node --import tsx
CLUSTER      := bash e2e/cluster/cluster.sh
export MESHLOOM_CACHE ?= $(HOME)/.cache/meshloom

.PHONY: help deps build typecheck cluster-build cluster-up cluster-down test test-unit test-e2e demo demo-down generate install-bundle

help: ## list targets
	@grep -E '^[a-zA-Z_/.-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-16s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

deps: node_modules/.package-lock.json ## install Node dependencies (npm ci)

build: deps ## compile TypeScript to dist/
	npx tsc -p tsconfig.json

typecheck: deps ## type-check everything, tests included
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p tsconfig.test.json --noEmit

cluster-build: ## build the local control plane binaries once (cached under $(MESHLOOM_CACHE))
	$(CLUSTER) build

cluster-up: ## start etcd, kube-apiserver, controller-manager, scheduler and kwok on 127.0.0.1
	$(CLUSTER) up

cluster-down: ## stop the local cluster and remove its state
	$(CLUSTER) down

test-unit: deps ## unit tests (no cluster)
	npm run --silent test:unit

test-e2e: deps cluster-up ## end-to-end tests against the real local kube-apiserver
	npm run --silent test:e2e

test: deps ## unit tests, then end-to-end tests on the local cluster
	@$(MAKE) --no-print-directory test-unit; unit=$$?; \
	 $(MAKE) --no-print-directory test-e2e; e2e=$$?; \
	 exit $$(( unit || e2e ))

demo: deps cluster-up ## local cluster + operator + examples/mesh-default.yaml + an injected sample pod, all printed
	$(NODE_RUN) e2e/demo/demo.ts up

demo-down: ## stop the demo operator and the local cluster
	-$(NODE_RUN) e2e/demo/demo.ts down
	$(CLUSTER) down

install-bundle: deps ## regenerate dist/install.yaml from the cdk8s charts
	npm run --silent bundle

generate: deps ## regenerate the TypeScript types from crds/ and dist/install.yaml
	npm run --silent generate
	npm run --silent bundle
