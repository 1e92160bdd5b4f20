# shellcheck shell=bash
# scripts/lib.sh: what the scripts share.  Sourced, never run:
#
#   . "$(dirname "$0")/lib.sh"
#
# Sets top (the tree), build (absolute: $BUILD, default build/), cache
# ($EXOTIC_CACHE, default ~/.cache/exotic) and me (the script's name);
# defines say (a line on stdout), die (a line on stderr, then exit
# $die_status, default 2: set it before sourcing to change it) and usage
# (the script's header comment, down to its "set -" line, without an SPDX
# licence line).

me=$(basename "$0")
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
cache=${EXOTIC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/exotic}

say() { echo "$me: $*"; }
die() { echo "$me: $*" >&2; exit "${die_status:-2}"; }
usage() {	# the header comment, without a licence line and the blank after it
	sed -n '2,/^set -/{/^set -/d;/^# SPDX-License-Identifier/{n;/^#$/d};s/^# \{0,1\}//p}' "$0"
}

# The storm's vCPUs and access paths on a profile (make storm, make check):
# two vCPUs walk through npf and one each reads through nested-tdp, pvclock
# and steal-time; no nested-tdp where L2 never runs (the profile's table
# says not-entered: 6.1 with kvm_amd npt=0), as exotic-storm and
# scripts/storm-check decide it.
storm_vcpus() {	# profile
	local table before
	table=$top/expect/$("$top/scripts/profiles" get "$1" table).tsv
	before=$(awk -F'\t' '$1 == "refcounted" && $2 == "remap" && $3 == "nested-tdp" &&
		$4 == "none" { print $5; exit }' "$table")
	if [ "$before" = not-entered ]; then
		echo "-c 4 -p npf,pvclock,steal-time"
	else
		echo "-c 5 -p npf,nested-tdp,pvclock,steal-time"
	fi
}
