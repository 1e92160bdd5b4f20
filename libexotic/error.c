// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exotic_strerror(): what a negative errno from libexotic means.  One errno
 * comes from several calls, so a message names the calls it is about where
 * the fix depends on them; the call sites log the specific cause.
 */
#include <limits.h>
#include <string.h>

#include "internal.h"

EXOTIC_EXPORT const char *exotic_strerror(int err)
{
	if (err == INT_MIN)
		return "unknown error";
	if (err > 0)
		err = -err;
	switch (err) {
	case 0:
		return "success";
	case -ENOENT:
		return "not found: no such device node, module, region handle or memslot (from exotic_device_open(): is the module loaded? modprobe exotic or exotic_module_load())";
	case -ENODEV:
		return "no such device: the region was revoked, the carve-out is not configured (memmap= and carveout_base/size), or the driver is not loaded (modprobe exotic, kvm_amd or kvm_intel)";
	case -EACCES:
		return "permission denied: run as root or install the udev rule (70-exotic.rules, group kvm) and join that group";
	case -EPERM:
		return "operation not permitted: needs root/CAP_SYS_MODULE, or the unsafe flag needs exotic.unsafe_driver_bugs=1";
	case -EPROTO:
		return "driver ABI version mismatch: build exotic.ko and libexotic from the same tree and reload the module";
	case -ENOTTY:
		return "not an exotic device (ioctl unknown): check the node is the exotic driver's misc device";
	case -EOPNOTSUPP:
		return "not supported by the loaded driver: check exotic_device_version() kinds/methods (carveout needs memmap= and carveout_base/size)";
	case -ENOSPC:
		return "a limit was reached: from the driver, free regions or raise the exotic module's max_bytes, max_file_bytes or max_regions; from KVM, too many memslots";
	case -ENOMEM:
		return "out of memory: reduce the region size or order";
	case -EINVAL:
		return "invalid argument: set EXOTIC_LOG=debug to see which one";
	case -EBUSY:
		return "busy: the module or region is in use (close /dev/exotic users and unmap regions first)";
	case -EEXIST:
		return "already exists: the module is already loaded (unload it first to change its parameters)";
	case -ETIMEDOUT:
		return "timed out waiting for the device: check that the module loaded (dmesg) and that devtmpfs or udevd creates /dev/exotic";
	case -EFAULT:
		return "bad address: the memory was revoked, or KVM refused to map it";
	case -ENAMETOOLONG:
		return "buffer too small for the device path";
	case -ENOEXEC:
		return "invalid module file: build exotic.ko for the running kernel (uname -r)";
	case -EKEYREJECTED:
		return "module signature rejected: sign exotic.ko or boot without module.sig_enforce";
	default:
		return strerror(-err);
	}
}
