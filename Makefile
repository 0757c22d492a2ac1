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
# Every scenario but `vm` (the aarch64 VM under QEMU): `make test-arm` runs it.
ARM_SCENARIOS := vm
SCENARIOS ?= $(filter-out $(ARM_SCENARIOS),$(sort $(notdir $(patsubst %/molecule.yml,%,$(wildcard extensions/molecule/*/molecule.yml)))))
# The bench: fleet sizes and how many A-B pairs per size (see bench/run.py).
BENCH_RUNS ?= 3
BENCH_NODES ?= 3 12

.PHONY: help
help: ## this list
	@grep -hE '^[a-z][a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# .venv is a link to a venv cached outside the checkout, keyed by the pins and
# the interpreter (tools/venv.sh): a fresh clone reuses it.
$(VENV)/.stamp: requirements.txt tools/venv.sh
	tools/venv.sh "$(PYTHON)" requirements.txt $(VENV)
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
lab-down: ## remove every lab node, network and volume, stop every lab VM (and nothing else)
	lab/lab.sh down --all
	lab/vm.sh down --all

.PHONY: lab-arm-up
lab-arm-up: host ## boot aarch64 VMs under QEMU (1, or N=2..3) and write build/lab/pifleet-lab-vm/inventory.yml
	lab/vm.sh up "$(if $(filter command line,$(origin N)),$(N),1)"

.PHONY: lab-arm-down
lab-arm-down: ## stop the aarch64 VMs of lab-arm-up (by pid file) and drop their overlays
	lab/vm.sh down

.PHONY: demo
demo: venv lab-up ## from nothing to the site on a 3-node lab, then how to reach it
	ansible-playbook -i $(LAB_INVENTORY) playbooks/site.yml
	@echo
	@echo "Inventory: $(LAB_INVENTORY)   (ansible -i $(LAB_INVENTORY) all -m ping)"

.PHONY: lint
lint: venv ## ansible-lint (production), ruff check + format, yamllint
	yamllint --strict .
	shellcheck -x tools/*.sh lab/*.sh lab/node/lab-init lab/node/rootfs/usr/local/sbin/lab-seed-images tests/collection/check.sh .ci/run extensions/molecule/*/files/*.sh \
	  lab/vm.sh lab/vm/*.sh lab/vm/rootfs/usr/local/sbin/pifleet-lab-vm-net bench/floor.sh
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
	  start=$$SECONDS; \
	  molecule test -s "$$s" || exit 1; \
	  echo "=== molecule scenario $$s passed in $$((SECONDS - start)) s"; \
	done

# The default scenario's fleet (3 managers + 1 worker, converged by site.yml)
# is the shape the drills need: the short drills run on it before it is
# destroyed, instead of converging a lab of their own (tests/drills/conftest.py).
.PHONY: test-site
test-site: venv host ## the default scenario, then the short drills on its fleet
	@echo "=== molecule scenario default (then drills $(DRILLS_SHORT) on its fleet)"; \
	start=$$SECONDS; rc=0; \
	molecule test -s default --destroy never || rc=$$?; \
	if [ $$rc = 0 ]; then \
	  echo "=== molecule scenario default passed in $$((SECONDS - start)) s; short drills on its fleet"; \
	  DRILLS_LAB=pifleet-lab-mol-default pytest -v -m short tests/drills || rc=$$?; \
	fi; \
	molecule destroy -s default >/dev/null 2>&1 || LAB_NAME=pifleet-lab-mol-default lab/lab.sh down || :; \
	[ $$rc = 0 ] || exit $$rc; \
	echo "=== default scenario and short drills passed in $$((SECONDS - start)) s"

.PHONY: test-arm
test-arm: venv host ## the aarch64 VM scenario: site.yml on a real arm64 kernel (slow under TCG)
	$(MAKE) molecule SCENARIOS="$(ARM_SCENARIOS)"

.PHONY: drills
drills: venv host ## fault drills 1-8 on their own lab (pifleet-lab-drills); report in build/drills/report.md
	pytest -v tests/drills

DRILLS_SHORT := 1, 2, 7, 8
.PHONY: drills-short
drills-short: venv host ## drills 1, 2, 7, 8 (worker re-join, manager loss, bad inputs, no token leaks) on their own lab
	pytest -v -m short tests/drills

.PHONY: bench
bench: venv host ## speed vs the plain way and the raw floor on fresh labs, ingress load on an aarch64 VM (BENCH_RUNS, BENCH_NODES, BENCH_VM)
	BENCH_RUNS="$(BENCH_RUNS)" BENCH_NODES="$(BENCH_NODES)" python bench/run.py

.PHONY: test
test: lint unit collection ## everything CI runs but the aarch64 VM: lint, unit, collection, molecule, short drills
	$(MAKE) test-site
	$(MAKE) molecule SCENARIOS="$(filter-out default,$(SCENARIOS))"

.PHONY: clean
clean: lab-down ## lab down, venv and build output removed (image cache kept)
	rm -rf $(VENV) build .pytest_cache .ruff_cache pifleet-swarm-*.tar.gz

.PHONY: distclean
distclean: clean ## also the cached lab images, debootstrap trees and venvs
	-docker images --format '{{.Repository}}:{{.Tag}}' | grep '^pifleet-lab/' | xargs -r docker rmi -f
	rm -rf "$${XDG_CACHE_HOME:-$$HOME/.cache}/pifleet-lab/rootfs" "$${XDG_CACHE_HOME:-$$HOME/.cache}/pifleet-lab/vm" "$${XDG_CACHE_HOME:-$$HOME/.cache}/pifleet-swarm/venvs"
