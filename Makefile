# One entry point for every habit. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
# One venv, one host engine and one 2-core machine: targets share all three,
# so `make -j` must not run them side by side.
.NOTPARALLEL:

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# molecule calls ansible-config and friends by name: the venv must lead PATH.
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
# This checkout is the collection; nothing else on the machine may shadow it.
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/build/collections
# Docker-in-Docker nodes on a shared 2-core machine answer slowly at times.
export ANSIBLE_TIMEOUT ?= 30

N ?= 3
LAB_NAME ?= pifleet-lab
LAB_INVENTORY := build/lab/$(LAB_NAME)/inventory.yml
COLLECTION_LINK := build/collections/ansible_collections/pifleet/swarm
SCENARIOS ?= $(sort $(notdir $(patsubst %/molecule.yml,%,$(wildcard extensions/molecule/*/molecule.yml))))

.PHONY: help
help: ## this list
	@grep -hE '^[a-z][a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.stamp: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

.PHONY: venv
venv: $(VENV)/.stamp $(COLLECTION_LINK) ## the controller's venv from requirements.txt

# The checkout, seen by Ansible as the installed collection pifleet.swarm.
$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn ../../../.. $@

.PHONY: host
host: ## host Docker Engine + lab packages (installs and starts what is missing)
	lab/host-engine.sh

.PHONY: images
images: host ## build (or reuse) the lab's node images
	lab/images.sh

.PHONY: lab-up
lab-up: host ## start N lab nodes (default 3) and write build/lab/<name>/inventory.yml
	LAB_NAME=$(LAB_NAME) lab/lab.sh up "$(N)"

.PHONY: lab-down
lab-down: ## remove every lab node, network and volume (and nothing else)
	lab/lab.sh down --all

.PHONY: demo
demo: venv lab-up ## from nothing to the site on a 3-node lab, then how to reach it
	ansible-playbook -i $(LAB_INVENTORY) playbooks/site.yml
	@echo
	@echo "Inventory: $(LAB_INVENTORY)   (ansible -i $(LAB_INVENTORY) all -m ping)"

.PHONY: lint
lint: venv ## ansible-lint (production), ruff check + format, yamllint
	yamllint --strict .
	shellcheck -x lab/*.sh lab/node/lab-init lab/node/rootfs/usr/local/sbin/lab-seed-images tests/collection/check.sh .ci/run extensions/molecule/*/files/*.sh
	ruff check .
	ruff format --check .
	ansible-lint --strict

.PHONY: unit
unit: venv ## pytest for the module and pure helpers
	pytest -q tests/unit

.PHONY: collection
collection: venv ## build the tarball, install it into a clean path, use it from there
	tests/collection/check.sh

.PHONY: molecule
molecule: venv host ## every molecule scenario (SCENARIOS="a b" for some)
	@for s in $(SCENARIOS); do \
	  echo "=== molecule scenario $$s"; \
	  molecule test -s "$$s" || exit 1; \
	done

.PHONY: test
test: lint unit collection molecule ## everything CI runs: lint, unit, collection, molecule

.PHONY: clean
clean: lab-down ## lab down, venv and build output removed (image cache kept)
	rm -rf $(VENV) build .pytest_cache .ruff_cache pifleet-swarm-*.tar.gz

.PHONY: distclean
distclean: clean ## also the cached lab images and debootstrap trees
	-docker images --format '{{.Repository}}:{{.Tag}}' | grep '^pifleet-lab/' | xargs -r docker rmi -f
	rm -rf "$${XDG_CACHE_HOME:-$$HOME/.cache}/pifleet-lab/rootfs"
