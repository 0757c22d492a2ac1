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
# No fact as a top-level variable in any test run: ansible-core 2.21 warns on
# each such use and 2.24 removes them, so a role that leans on one fails here
# rather than on a user's controller.
export ANSIBLE_INJECT_FACT_VARS := False

# The controller matrix: each ansible-core line the collection supports, on the
# Python that `pip install ansible` gives it today, each with a venv of its own.
# 2.19 (Python 3.11, requirements.txt, .venv) runs every scenario; the newest
# runs the default scenario and the short drills, from the built tarball;
# every line runs the unit tests and the collection check, the oldest and the
# newest also ansible-lint.
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $(HOME)/.pyenv)
PYTHON_2.20 ?= $(or $(lastword $(wildcard $(PYENV_ROOT)/versions/3.12.*/bin/python3.12)),python3.12)
PYTHON_2.21 ?= $(or $(lastword $(wildcard $(PYENV_ROOT)/versions/3.13.*/bin/python3.13)),python3.13)
CORES := 2.20 2.21
NEWEST := 2.21
NEWEST_BIN := $(CURDIR)/.venv-$(NEWEST)/bin
# Where make test-site installs the built tarball (a clean collections path).
INSTALLED := $(CURDIR)/build/installed
LOGS := build/logs

N ?= 3
LAB_NAME ?= pifleet-lab
LAB_INVENTORY := build/lab/$(LAB_NAME)/inventory.yml
COLLECTION_LINK := build/collections/ansible_collections/pifleet/swarm
# Every scenario but `vm` (the aarch64 VM under QEMU): `make test-arm` runs it.
ARM_SCENARIOS := vm
SCENARIOS ?= $(filter-out $(ARM_SCENARIOS),$(sort $(notdir $(patsubst %/molecule.yml,%,$(wildcard extensions/molecule/*/molecule.yml)))))
# The bench: fleet sizes and how many A-B pairs per size (see bench/__init__.py).
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

.venv-%/.stamp: requirements/core-%.txt tools/venv.sh
	tools/venv.sh "$(PYTHON_$*)" $< .venv-$*
	touch $@

.PHONY: venv
venv: $(VENV)/.stamp $(COLLECTION_LINK) ## the controller's venv from requirements.txt

.PHONY: venvs
venvs: venv $(foreach c,$(CORES),.venv-$(c)/.stamp) ## also one venv per newer ansible-core of the matrix (requirements/core-*.txt)

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

# ansible-lint (its syntax check is the part that differs by core) runs on the
# oldest line (make lint) and the newest: it is the costliest of the three on
# a 2-core machine, and the lines between add no rule of their own.
.PHONY: matrix
matrix: venvs ## unit tests and the collection check on each newer ansible-core, ansible-lint on the newest
	@for c in $(CORES); do \
	  lint=$$( [ $$c != $(NEWEST) ] || echo 'ansible-lint, ' ); \
	  echo "=== ansible-core $$c: $${lint}unit, collection"; \
	  start=$$SECONDS; \
	  ( export PATH="$(CURDIR)/.venv-$$c/bin:$$PATH"; ansible --version | sed -n 1p; \
	    { [ $$c != $(NEWEST) ] || ansible-lint --strict; } && pytest -q tests/unit && tests/collection/check.sh ) || exit 1; \
	  echo "=== ansible-core $$c passed in $$((SECONDS - start)) s"; \
	done

# Each scenario's output also goes to build/logs/<scenario>.log, which must hold
# no deprecation warning from this collection (tools/deprecations.py).
.PHONY: molecule
molecule: venv host ## every molecule scenario (SCENARIOS="a b" for some)
	@mkdir -p $(LOGS); for s in $(SCENARIOS); do \
	  echo "=== molecule scenario $$s ($$(ansible --version | sed -n 1p))"; \
	  start=$$SECONDS; \
	  molecule test -s "$$s" 2>&1 | tee $(LOGS)/$$s.log || exit 1; \
	  python3 tools/deprecations.py $(LOGS)/$$s.log || exit 1; \
	  echo "=== molecule scenario $$s passed in $$((SECONDS - start)) s"; \
	done

# The default scenario runs on the newest ansible-core, with the collection
# installed from its built tarball into a clean path (what a user of Galaxy has).
# Its fleet (3 managers + 1 worker, converged by site.yml) is the shape the
# drills need: the short drills run on it before it is destroyed, instead of
# converging a lab of their own (tests/drills/conftest.py).
.PHONY: test-site
test-site: venv .venv-$(NEWEST)/.stamp host ## the default scenario on the newest ansible-core from the tarball, then the short drills on its fleet
	@mkdir -p $(LOGS); export PATH="$(NEWEST_BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH=$(INSTALLED)/collections; \
	tarball=$$(tools/install-collection.sh $(INSTALLED)); \
	echo "=== molecule scenario default ($$(ansible --version | sed -n 1p), from $$(basename $$tarball)), then drills $(DRILLS_SHORT) on its fleet"; \
	start=$$SECONDS; rc=0; \
	molecule test -s default --destroy never 2>&1 | tee $(LOGS)/default.log || rc=$$?; \
	if [ $$rc = 0 ]; then \
	  echo "=== molecule scenario default passed in $$((SECONDS - start)) s; short drills on its fleet"; \
	  DRILLS_LAB=pifleet-lab-mol-default DRILLS_VARS=extensions/molecule/default/molecule.yml DRILLS_SCAN=$(LOGS)/default.log pytest -v -m short tests/drills 2>&1 | tee $(LOGS)/drills-short.log || rc=$$?; \
	fi; \
	molecule destroy -s default >/dev/null 2>&1 || LAB_NAME=pifleet-lab-mol-default lab/lab.sh down || :; \
	[ $$rc = 0 ] || exit $$rc; \
	python3 tools/deprecations.py $(LOGS)/default.log $(LOGS)/drills-short.log; \
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
	BENCH_RUNS="$(BENCH_RUNS)" BENCH_NODES="$(BENCH_NODES)" python -m bench

# Two lanes side by side (tools/lanes.sh), each with labs of its own, of
# about the same length here (measured 2026-12-07 on 82ed606, a slow day:
# lint, unit, collection 128 s, default + short drills 1032 s; matrix 197 s,
# docker 288 s, images 458 s, node 395 s, swarm 257 s, all with one core
# shared with other work; the swarm scenario then ran in the scenarios lane,
# which ended 440 s after the site lane): a lane that ends early leaves a
# core idle while the other finishes. Lint and the collection check run in
# the lanes, not before them: single-threaded, they would leave a core idle.
# The engine, the lab images and the venvs are made first, once.
SITE_SCENARIOS := swarm
LANE_SCENARIOS := $(filter-out default $(SITE_SCENARIOS),$(SCENARIOS))
.PHONY: test
test: venvs images ## everything CI runs but the aarch64 VM: lint, unit, collection, the ansible-core matrix, molecule, short drills
	tools/lanes.sh "site=$(MAKE) --no-print-directory lint unit collection test-site molecule SCENARIOS='$(SITE_SCENARIOS)'" \
	  "scenarios=$(MAKE) --no-print-directory matrix molecule SCENARIOS='$(LANE_SCENARIOS)'"

.PHONY: clean
clean: lab-down ## lab down, venv and build output removed (image cache kept)
	rm -rf $(VENV) $(foreach c,$(CORES),.venv-$(c)) build .pytest_cache .ruff_cache pifleet-swarm-*.tar.gz

.PHONY: distclean
distclean: clean ## also the cached lab images, debootstrap trees and venvs
	-docker images --format '{{.Repository}}:{{.Tag}}' | grep '^pifleet-lab/' | xargs -r docker rmi -f
	rm -rf "$${XDG_CACHE_HOME:-$$HOME/.cache}/pifleet-lab/rootfs" "$${XDG_CACHE_HOME:-$$HOME/.cache}/pifleet-lab/vm" "$${XDG_CACHE_HOME:-$$HOME/.cache}/pifleet-swarm/venvs"
