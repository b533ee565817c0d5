# kubelift.cluster: entry points. `make test` runs every check, `make lab` builds the local lab cluster.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV ?= .venv
export KUBELIFT_CACHE ?= /var/cache/kubelift
export PATH := $(abspath $(VENV))/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.collections
export PY_COLORS := 0
export ANSIBLE_FORCE_COLOR := 0

SCENARIOS ?= node cluster apps
# Kubernetes release of the lab (`make lab LAB_K8S=1.35.4`): built from the Go module proxy, then cached.
LAB_K8S ?= 1.36.3
COLLECTION_LINK := .collections/ansible_collections/kubelift/cluster

.PHONY: help venv collection lint yamllint ansible-lint build unit monitoring-rules integration molecule test lab lab-down bench bundle clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.txt
	touch $@

venv: $(VENV)/.installed ## create the virtualenv with the pinned tools

$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn ../../.. $@

collection: venv $(COLLECTION_LINK) ## make kubelift.cluster resolvable from this checkout

yamllint: venv
	yamllint -s .

ansible-lint: collection
	ansible-lint --offline

build: collection ## build the Galaxy tarball and check that every role documents its arguments
	rm -rf .cache/build && mkdir -p .cache/build
	ansible-galaxy collection build --force --output-path .cache/build .
	hack/check-build.sh .cache/build

lint: yamllint ansible-lint build ## yamllint, ansible-lint (production), galaxy build

unit: collection ## pytest unit tests of the Python plugins and rendered manifests
	pytest -q tests/unit

monitoring-rules: collection ## promtool/amtool checks and rule unit tests of the rendered monitoring config
	hack/check-monitoring-config.sh

bundle: ## build (or reuse) the offline lab bundle in $(KUBELIFT_CACHE) (K8S_VERSION=1.35.4 for another release)
	hack/build-lab-bundle.sh >/dev/null

molecule: collection ## every Molecule scenario (needs a Docker engine)
	hack/with-docker.sh bash -c 'for s in $(SCENARIOS); do molecule test -s $$s || exit 1; done'

integration: collection ## integration tests that need the lab bundle and a Docker engine
	pytest -q tests/integration

test: lint unit monitoring-rules ## lint + unit + rule tests + integration + Molecule, starting the Docker engine when needed
	hack/with-docker.sh $(MAKE) --no-print-directory bundle integration molecule

LAB_INVENTORY := .lab/inventory.yml

$(LAB_INVENTORY):
	mkdir -p .lab
	printf -- '---\nall:\n  hosts: {}\n' > $@

lab: collection $(LAB_INVENTORY) ## build the local lab cluster (state in .lab/)
	hack/install-deps.sh
	hack/dockerd.sh start
	K8S_VERSION=$(LAB_K8S) hack/build-lab-bundle.sh >/dev/null
	ansible-playbook -i $(LAB_INVENTORY) playbooks/lab.yml -e lab_state=up -e lab_kubernetes_version=$(LAB_K8S)

lab-down: collection $(LAB_INVENTORY) ## remove everything `make lab` created
	ansible-playbook -i $(LAB_INVENTORY) playbooks/lab.yml -e lab_state=down
	rm -rf .lab

bench: collection ## print provisioning figures against the lab
	hack/install-deps.sh
	hack/dockerd.sh start
	@started=$$(date +%s); $(MAKE) --no-print-directory bundle; \
	  echo "bench: lab bundle (build or cache check) took $$(( $$(date +%s) - started )) s, apart from the figures below"
	bench/provision

clean: ## remove local build state (not the cache)
	rm -rf .cache .collections
