# shellcheck shell=bash
# Shared helpers for the lab scripts (sourced, not run).
# Everything the lab creates on the host engine carries this prefix, so that
# lab-down and the tests remove exactly what the lab made and nothing else.
LAB_PREFIX=${LAB_PREFIX:-pifleet-lab}
LAB_CACHE=${LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pifleet-lab}
LAB_STATE=${LAB_STATE:-$LAB_CACHE/state}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

lab_say() { printf '[lab] %s\n' "$*" >&2; }
lab_die() { printf '[lab] ERROR: %s\n' "$*" >&2; exit 1; }
