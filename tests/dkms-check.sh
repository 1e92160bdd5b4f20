#!/bin/bash
# tests/dkms-check.sh: the DKMS tree that `make install DESTDIR=...` lays
# down (/usr/src/exotic-VERSION with driver/dkms.conf), built by Debian 12's
# own dkms against every pinned kernel's headers: the 6.1 of build/pin.mk
# and every set scripts/kernels has fetched (build/kernels/SET.mk; debug.mk
# describes the debug kernel, not a set).
#
# Nothing is installed system-wide and root is not needed: dkms is the
# package's script, `apt-get download dkms` unpacked once into the cache
# (${EXOTIC_CACHE:-~/.cache/exotic}/dkms/VERSION), run with its trees in a
# temporary directory (--dkmstree, --sourcetree, --installtree), for add and
# build only; module signing is pointed at nothing, so no key is made.  A
# set's KSET_MAKE_ARGS (no pahole: no BTF; for 7.x, gcc-12 instead of the
# headers' gcc-14: docs/kernels.md) reach kbuild through MAKEFLAGS, as
# make driver KSET=SET passes them on its command line; dkms.conf names
# nothing of this machine (on a real host the kernel's own headers packages
# bring pahole and its compiler).
#
# TAP: make install, dkms add, one line per kernel (dkms build succeeds and
# leaves exotic.ko whose vermagic is that kernel's), and a copy of the tree
# with an #error planted in main.c, whose dkms build must fail.  When the
# dkms package cannot be fetched, one line stands for the dkms ones,
# skipped with the reason.
# usage: tests/dkms-check.sh [--keep]
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
build=${BUILD:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
cache=${EXOTIC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/exotic}
keep=0
[ "${1:-}" = --keep ] && keep=1
tmp=$(mktemp -d /tmp/exotic-dkms.XXXXXX)
[ $keep = 1 ] || trap 'rm -rf "$tmp"' EXIT
export PATH=$PATH:/usr/sbin:/sbin	# modinfo, for a user's PATH
n=0 failed=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() {	# description [file with details]
	n=$((n + 1))
	echo "not ok $n - $1"
	[ -z "${2:-}" ] || sed 's/^/# /' "$2"
	failed=$((failed + 1))
}
skip() {	# description reason
	n=$((n + 1))
	# scripts/check takes the last plain line before a skip as its reason
	echo "$2"
	echo "ok $n - $1 # SKIP $2"
}
now() { date +%s.%N; }
since() { printf '%.1f' "$(echo "$(now) - $1" | bc)"; }

# ------------------------------------------------------------- kernels
# name krel kdir make-arguments, one per line, tab-separated
kernels=$tmp/kernels
: > "$kernels"
if [ -f "$build/pin.mk" ]; then
	printf 'pinned 6.1\t%s\t%s\t\n' \
		"$(sed -n 's/^EXOTIC_KREL=//p' "$build/pin.mk")" \
		"$(sed -n 's/^EXOTIC_KDIR=//p' "$build/pin.mk")" >> "$kernels"
fi
for mk in "$build"/kernels/*.mk; do
	[ -f "$mk" ] || continue
	[ "$(basename "$mk")" != debug.mk ] || continue
	printf '%s\t%s\t%s\t%s\n' "$(basename "$mk" .mk)" \
		"$(sed -n 's/^KSET_KREL=//p' "$mk")" \
		"$(sed -n 's/^KSET_KDIR=//p' "$mk")" \
		"$(sed -n 's/^KSET_MAKE_ARGS=//p' "$mk")" >> "$kernels"
done

# ---------------------------------------------------------------- dkms
# Debian's dkms package, unpacked into the cache; sets $dkms and $dkms_ver,
# or $why.
dkms='' dkms_ver='' why=''
fetch_dkms() {
	local ver dir deb log=$tmp/apt-get.log
	ver=$(apt-cache policy dkms 2>/dev/null | sed -n 's/^ *Candidate: //p')
	if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
		why="apt knows no dkms package (run apt-get update)"
		return 1
	fi
	dir=$cache/dkms/$ver
	if [ ! -x "$dir/usr/sbin/dkms" ]; then
		mkdir -p "$cache/debs" "$cache/dkms" || { why="cannot write $cache"; return 1; }
		deb=$cache/debs/dkms_${ver#*:}_all.deb
		if [ ! -f "$deb" ]; then
			# as root apt warns that it downloads unsandboxed: not a failure
			if ! (cd "$cache/debs" && apt-get download -q "dkms=$ver") > "$log" 2>&1 ||
			   [ ! -f "$deb" ]; then
				why="apt-get download dkms=$ver failed: $(grep -v '^W:' "$log" | tail -n1)"
				return 1
			fi
		fi
		rm -rf "$dir.tmp.$$"
		dpkg -x "$deb" "$dir.tmp.$$" || { why="dpkg -x $deb failed"; return 1; }
		# another run may have unpacked it meanwhile
		mv -T "$dir.tmp.$$" "$dir" 2>/dev/null || rm -rf "$dir.tmp.$$"
	fi
	dkms=$dir/usr/sbin/dkms
	dkms_ver=$ver
}

# dkms as a user runs it, with trees under $tmp: nothing from an outer make
# in the environment but the arguments given; signing pointed at nothing.
run_dkms() {	# make-arguments dkms-arguments...
	local margs=$1
	shift
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		sign_file="$tmp/no-sign-file" mok_signing_key="$tmp/no-mok.key" \
		mok_certificate="$tmp/no-mok.pub" \
		${margs:+MAKEFLAGS="$margs"} "$dkms" "$@"
}

# ------------------------------------------------------------------ run
dest=$tmp/root
ver=$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' driver/dkms.conf)
src=$dest/usr/src/exotic-$ver
if make -s install DESTDIR="$dest" PREFIX=/usr/local > "$tmp/install.log" 2>&1 &&
   [ -f "$src/dkms.conf" ]; then
	ok "make install DESTDIR=... lays down /usr/src/exotic-$ver with dkms.conf"
else
	not_ok "make install DESTDIR=... lays down /usr/src/exotic-$ver with dkms.conf" "$tmp/install.log"
fi
if [ ! -s "$kernels" ]; then
	not_ok "no kernel to build against: no $build/pin.mk (make deps)"
	echo "1..$n"
	exit 1
fi

arch=$(uname -m)
tree=$tmp/dkms
mkdir -p "$tree" "$tmp/modules"
trees=(--dkmstree "$tree" --sourcetree "$dest/usr/src" --installtree "$tmp/modules")
IFS=$'\t' read -r _ pin_krel pin_kdir _ < "$kernels"

if ! fetch_dkms; then
	skip "dkms add and build exotic/$ver for $(wc -l < "$kernels") kernels" "$why"
	echo "1..$n"
	[ $failed = 0 ]
	exit
fi

if run_dkms "" add "exotic/$ver" "${trees[@]}" -k "$pin_krel" \
		--kernelsourcedir "$pin_kdir" > "$tmp/add.log" 2>&1 &&
   [ -L "$tree/exotic/$ver/source" ]; then
	ok "dkms add exotic/$ver (Debian's dkms $dkms_ver, run as $(id -un), its trees in a temporary directory)"
else
	not_ok "dkms add exotic/$ver (Debian's dkms $dkms_ver)" "$tmp/add.log"
fi

while IFS=$'\t' read -r name krel kdir margs; do
	what="dkms build exotic/$ver for $krel ($name)"
	log=$tmp/build-$krel.log
	t0=$(now)
	if ! run_dkms "$margs" build "exotic/$ver" "${trees[@]}" -k "$krel" \
			--kernelsourcedir "$kdir" > "$log" 2>&1; then
		[ ! -f "$tree/exotic/$ver/build/make.log" ] ||
			tail -n 25 "$tree/exotic/$ver/build/make.log" >> "$log"
		not_ok "$what" "$log"
		continue
	fi
	ko=$(find "$tree/exotic/$ver/$krel/$arch/module" -name 'exotic.ko*' 2>/dev/null | head -n1)
	vermagic=$( [ -z "$ko" ] || modinfo -F vermagic "$ko" 2>>"$log" | cut -d' ' -f1)
	if [ -z "$ko" ] || [ "$vermagic" != "$krel" ]; then
		echo "module: ${ko:-none}, vermagic: ${vermagic:-none}" >> "$log"
		not_ok "$what: no exotic.ko for that kernel" "$log"
		continue
	fi
	ok "$what: $(basename "$ko"), vermagic $vermagic, $(since "$t0") s${margs:+ (MAKEFLAGS=$margs)}"
done < "$kernels"

# The same build of a copy with an #error in main.c must fail, and with
# that error: this test can fail.
bsrc=$tmp/broken-src
btree=$tmp/broken-dkms
mkdir -p "$bsrc" "$btree"
cp -a "$src" "$bsrc/"
echo '#error exotic-dkms-check: a deliberately broken copy' >> "$bsrc/exotic-$ver/main.c"
log=$tmp/broken.log
run_dkms "" build "exotic/$ver" --dkmstree "$btree" --sourcetree "$bsrc" \
	--installtree "$tmp/modules" -k "$pin_krel" --kernelsourcedir "$pin_kdir" > "$log" 2>&1
rc=$?
what="dkms build of a copy with an #error in main.c fails for $pin_krel"
if [ $rc != 0 ] && grep -q 'exotic-dkms-check: a deliberately broken copy' \
		"$btree/exotic/$ver/build/make.log" 2>/dev/null &&
   [ -z "$(find "$btree" -name 'exotic.ko*' -print -quit)" ]; then
	ok "$what (dkms exit $rc, the #error in its make.log)"
else
	echo "dkms exit $rc" >> "$log"
	not_ok "$what" "$log"
fi

echo "1..$n"
[ $keep = 1 ] && echo "# kept $tmp"
[ $failed = 0 ]
