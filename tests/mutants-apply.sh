#!/bin/bash
# tests/mutants-apply.sh: every driver defect kept in tests/mutants/ still
# puts itself back into today's driver.  For each NN-NAME.patch: it says
# what fixed it ("# Fixed by:"), and it applies to a copy of driver/
# exactly (no fuzz) and changes it; otherwise `make fuzz-mutants` would
# test a defect that is no longer there.  Builds nothing.  Prints TAP.
# usage: tests/mutants-apply.sh
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
tmp=$(mktemp -d /tmp/exotic-mutants.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
. "$top/tests/tap.sh"

applies() {	# patch
	rm -rf "$tmp/tree" && mkdir "$tmp/tree" && cp -r driver "$tmp/tree/" || return 1
	grep -q '^# Fixed by: ' "$1" || { echo "no '# Fixed by:' line"; return 1; }
	# -N --batch: a defect already in the driver fails, without asking
	patch -N --batch -p1 --fuzz=0 --no-backup-if-mismatch -d "$tmp/tree" < "$1" || return 1
	diff -r -q driver "$tmp/tree/driver" > /dev/null
	case $? in
	1) return 0 ;;
	0) echo "changes nothing"; return 1 ;;
	*) echo "diff failed"; return 1 ;;
	esac
}

for p in tests/mutants/*.patch; do
	ok "$(basename "$p" .patch) applies to driver/" applies "$p"
done
echo "1..$n"
[ "$failed" = 0 ]
