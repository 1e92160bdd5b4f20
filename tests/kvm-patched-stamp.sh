#!/bin/bash
# tests/kvm-patched-stamp.sh: scripts/kvm-patched skips a build whose
# inputs have not changed, and only then.  Without building anything:
#  - --print-stamp gives the same stamp twice, and another when a patch of
#    the series changes;
#  - modules in --out with that stamp beside them are UP-TO-DATE: nothing
#    is touched;
#  - with another stamp beside them (another source tarball here) the
#    build starts: the old modules and stamp go first, and this build,
#    from a tarball without the KVM sources, fails before make.
# Needs make deps (build/pin.mk: the pinned headers and source).  Prints
# TAP.  usage: tests/kvm-patched-stamp.sh
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
tmp=$(mktemp -d /tmp/exotic-kvm-stamp.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
. "$top/tests/tap.sh"

series=$tmp/series out=$tmp/out-dir
cp -r kernel-patches/6.1 "$series"
kp() { scripts/kvm-patched --series "$series" --out "$out" "$@"; }

stable() {
	local a b
	a=$(kp --print-stamp) && b=$(kp --print-stamp) || return 1
	[[ $a =~ ^[0-9a-f]{64}$ ]] || { echo "not a stamp: '$a'"; return 1; }
	[ "$a" = "$b" ] || { echo "two stamps: $a $b"; return 1; }
}
ok "--print-stamp: the same stamp twice" stable

patch_changes_it() {
	local a b p
	a=$(kp --print-stamp) || return 1
	p=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$series/series" | tail -n 1)
	echo >> "$series/$p"
	b=$(kp --print-stamp) || return 1
	[ "$a" != "$b" ] || { echo "$p changed, the stamp did not: $a"; return 1; }
}
ok "--print-stamp: another stamp when a patch changes" patch_changes_it

# modules that are not modules: only the stamp can make them current
fake_modules() {	# stamp
	mkdir -p "$out"
	for m in kvm kvm-amd kvm-intel; do echo "fake $m" > "$out/$m.ko"; done
	echo "$1" > "$out/stamp"
}

up_to_date() {
	fake_modules "$(kp --print-stamp)" || return 1
	kp > "$tmp/kp.out" 2>&1 || { cat "$tmp/kp.out"; return 1; }
	grep -q 'UP-TO-DATE' "$tmp/kp.out" || { cat "$tmp/kp.out"; echo "no UP-TO-DATE"; return 1; }
	[ "$(cat "$out/kvm.ko")" = "fake kvm" ] || { echo "kvm.ko was touched"; return 1; }
}
ok "the stamp beside the modules: UP-TO-DATE, nothing touched" up_to_date

another_source() {
	local fake=$tmp/fake-src
	mkdir -p "$fake/linux-source-6.1/include"
	tar -C "$fake" -cJf "$tmp/fake.tar.xz" linux-source-6.1
	fake_modules "$(kp --print-stamp)" || return 1
	if kp --source "$tmp/fake.tar.xz"; then
		echo "a build from a tarball without KVM sources succeeded"
		return 1
	fi
	for f in kvm.ko kvm-amd.ko kvm-intel.ko stamp; do
		[ ! -e "$out/$f" ] || { echo "$f is still there after a failed build"; return 1; }
	done
}
ok "another source tarball: the build starts, the old modules and stamp go" another_source

echo "1..$n"
[ $failed = 0 ]
