# shellcheck shell=bash
# tests/tap.sh: what the host shell tests share.  Sourced, never run, once
# $tmp (a scratch directory) is set:
#
#   . "$top/tests/tap.sh"
#
# ok DESCRIPTION COMMAND...: runs COMMAND with its output in $tmp/out and
# prints "ok N - DESCRIPTION", or "not ok N - DESCRIPTION" followed by that
# output as TAP comments, counting the failure in $failed.  The test ends
# with echo "1..$n" and [ $failed = 0 ].
# shellcheck disable=SC2154 # $tmp is the sourcing test's

n=0 failed=0

ok() {	# description command...
	local what=$1
	shift
	n=$((n + 1))
	if "$@" >"$tmp/out" 2>&1; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		sed 's/^/# /' "$tmp/out"
		failed=$((failed + 1))
	fi
}
