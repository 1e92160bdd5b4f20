#!/bin/bash
# tests/install-check.sh: `make install` into a temporary DESTDIR, then
# check the result as a user of the installed tree would:
#  - the files are where they should be (library, links, headers with the
#    uapi header, pkg-config file, DKMS tree with dkms.conf, udev rule, which
#    gives the node 0660 group kvm and no uaccess);
#  - libexotic.so.1 exports every EXOTIC_EXPORT function of the installed
#    headers and nothing that is not exotic_*;
#  - an outside program built with `pkg-config --cflags --libs libexotic`
#    (PKG_CONFIG_PATH/PKG_CONFIG_SYSROOT_DIR on the DESTDIR) compiles,
#    links against libexotic.so.1 and runs; the same statically against
#    libexotic.a with `pkg-config --static`; the headers also compile as C++.
# Prints TAP.  usage: tests/install-check.sh [--keep]
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
keep=0
[ "${1:-}" = --keep ] && keep=1
tmp=$(mktemp -d /tmp/exotic-install.XXXXXX)
[ $keep = 1 ] || trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root prefix=/usr/local
. "$top/tests/tap.sh"

ok "make install DESTDIR=... PREFIX=$prefix" \
	make -s install DESTDIR="$dest" PREFIX="$prefix"

lib=$dest$prefix/lib inc=$dest$prefix/include/exotic
ver=$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' driver/dkms.conf)
check_files() {
	local f
	for f in "$lib/libexotic.so.1" "$lib/libexotic.so" "$lib/libexotic.a" \
		 "$lib/pkgconfig/libexotic.pc" \
		 "$inc/exotic.h" "$inc/device.h" "$inc/region.h" "$inc/kvm.h" \
		 "$inc/oracle.h" "$inc/exotic_uapi.h" \
		 "$dest/usr/src/exotic-$ver/dkms.conf" "$dest/usr/src/exotic-$ver/Kbuild" \
		 "$dest/usr/src/exotic-$ver/Makefile" \
		 "$dest/usr/src/exotic-$ver/include/uapi/exotic_uapi.h" \
		 "$dest/lib/udev/rules.d/70-exotic.rules"; do
		[ -e "$f" ] || { echo "missing: ${f#"$dest"}"; return 1; }
	done
	[ "$(readlink "$lib/libexotic.so")" = libexotic.so.1 ] || { echo "libexotic.so does not point at libexotic.so.1"; return 1; }
	readelf -d "$lib/libexotic.so.1" | grep -q 'SONAME.*\[libexotic.so.1\]' || { echo "wrong SONAME"; return 1; }
	if find "$dest/usr/src/exotic-$ver" -name '*.o' -o -name '*.ko' | grep -q .; then
		echo "build products in the DKMS tree"; return 1
	fi
}
ok "installed files, links, SONAME, DKMS tree" check_files

# the node is for the kvm group only: 0660, group kvm, no uaccess (it is
# not /dev/kvm; what it hands out is host memory)
check_udev() {
	local rule=$dest/lib/udev/rules.d/70-exotic.rules
	grep -v '^#' "$rule" | grep -q 'KERNEL=="exotic".*MODE="0660".*GROUP="kvm"' ||
		{ echo "no MODE=0660 GROUP=kvm rule for exotic"; return 1; }
	if grep -v '^#' "$rule" | grep -q uaccess; then
		echo "the rule tags the node uaccess"; return 1
	fi
}
ok "udev rule: 0660 group kvm, no uaccess" check_udev

check_exports() {
	local declared exported missing extra
	declared=$(grep -h -A1 'EXOTIC_EXPORT' "$inc"/*.h | grep -v '#define' |
		   grep -o 'exotic_[a-z0-9_]*[[:space:]]*(' | tr -d ' (' | sort -u)
	exported=$(nm -D --defined-only "$lib/libexotic.so.1" | awk '$2 == "T" { sub("@.*", "", $3); print $3 }' | sort -u)
	missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
	extra=$(echo "$exported" | grep -v '^exotic_' || true)
	[ -z "$missing" ] || { echo "declared EXOTIC_EXPORT but not exported (add to libexotic/libexotic.sym):"; echo "$missing"; }
	[ -z "$extra" ] || { echo "exported without the exotic_ prefix:"; echo "$extra"; }
	echo "$(echo "$exported" | wc -l) symbols exported, $(echo "$declared" | wc -l) declared"
	[ -z "$missing" ] && [ -z "$extra" ]
}
ok "exports: every EXOTIC_EXPORT, only exotic_*" check_exports

cat > "$tmp/outside.c" <<'PROG'
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <exotic/exotic.h>

int main(void)
{
	struct exotic_ctx *ctx;
	struct exotic_device *dev;
	int r = exotic_new(&ctx);

	if (r < 0) {
		fprintf(stderr, "exotic_new: %s\n", exotic_strerror(r));
		return 1;
	}
	exotic_set_log_priority(ctx, 0);
	r = exotic_device_open_path(ctx, "/nonexistent/exotic", &dev);
	if (r != -ENOENT || !strstr(exotic_strerror(r), "modprobe exotic"))
		return 2;
	if (exotic_kind_from_name("noncompound") != EXOTIC_KIND_NONCOMPOUND)
		return 3;
	printf("outside program: ABI %d, %s\n", EXOTIC_ABI_VERSION,
	       exotic_method_name(EXOTIC_MAP_HUGE));
	return exotic_unref(ctx) == NULL ? 0 : 4;
}
PROG
export PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest

build_shared() {
	local flags
	read -ra flags < <(pkg-config --cflags --libs libexotic) || return 1
	echo "pkg-config: ${flags[*]}"
	cc -std=c11 -Wall -Werror -o "$tmp/outside" "$tmp/outside.c" "${flags[@]}" &&
	readelf -d "$tmp/outside" | grep -q 'NEEDED.*\[libexotic.so.1\]' &&
	LD_LIBRARY_PATH=$lib "$tmp/outside"
}
ok "outside program, pkg-config --cflags --libs: compiles, links libexotic.so.1, runs" build_shared

build_static() {
	local flags
	read -ra flags < <(pkg-config --static --cflags --libs libexotic) || return 1
	flags=("${flags[@]/#-lexotic/-l:libexotic.a}")
	echo "pkg-config --static: ${flags[*]}"
	cc -std=c11 -Wall -Werror -o "$tmp/outside-static" "$tmp/outside.c" "${flags[@]}" &&
	! readelf -d "$tmp/outside-static" | grep -q 'libexotic' &&
	"$tmp/outside-static"
}
ok "outside program, pkg-config --static against libexotic.a: links and runs" build_static

build_cxx() {
	command -v c++ >/dev/null || { echo "no C++ compiler"; return 0; }
	printf '#include <exotic/exotic.h>\nint main() { return exotic_strerror(0) ? 0 : 1; }\n' > "$tmp/outside.cc"
	local flags
	read -ra flags < <(pkg-config --cflags --libs libexotic) || return 1
	c++ -Wall -Werror -o "$tmp/outside-cxx" "$tmp/outside.cc" "${flags[@]}" &&
	LD_LIBRARY_PATH=$lib "$tmp/outside-cxx"
}
ok "installed headers compile and link as C++" build_cxx

echo "1..$n"
[ $keep = 1 ] && echo "# kept $tmp"
[ $failed = 0 ]
