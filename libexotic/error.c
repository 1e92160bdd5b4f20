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
		return "no such device: from a region call, the region was revoked; from exotic_region_new(), the carve-out is not configured (memmap= and carveout_base/size); from exotic_device_open() or exotic_vm_new(), the driver is not loaded (modprobe exotic, kvm_amd or kvm_intel)";
	case -EACCES:
		return "permission denied: from exotic_device_open(), install the udev rule (70-exotic.rules, group kvm) and join that group, or run as root; from exotic_vm_new(), join the group that owns /dev/kvm; from a region or memslot call, the region is read-only (EXOTIC_ALLOC_READONLY)";
	case -EPERM:
		return "operation not permitted: from exotic_module_load() or exotic_module_unload(), needs root (CAP_SYS_MODULE); from exotic_region_new() with the unsafe flag, needs CAP_SYS_ADMIN and exotic.unsafe_driver_bugs=1";
	case -EPROTO:
		return "driver ABI version mismatch (from exotic_device_open()): build exotic.ko and libexotic from the same tree and reload the module";
	case -ENOTTY:
		return "not an exotic device (ioctl unknown), from exotic_device_open(): check the node is the exotic driver's misc device";
	case -EOPNOTSUPP:
		return "not supported: from exotic_region_new(), the loaded driver does not offer it (check exotic_device_version() kinds/methods; carveout needs memmap= and carveout_base/size); from exotic_guest_load() with nested TDP, the vCPU has no 1 GiB pages";
	case -ENOSPC:
		return "a limit was reached: from exotic_region_new(), free regions or raise the exotic module's max_bytes, max_file_bytes or max_regions; from a memslot call, KVM has no memslot left; from exotic_guest_copy_probe(), the guest programs leave the probe no room (a build problem)";
	case -ENOMEM:
		return "out of memory: from exotic_region_new() or a migrate, the driver could not allocate the blocks (a smaller length or order may fit, or the memory cgroup is at its limit); from other calls, this process ran out";
	case -EINVAL:
		return "invalid argument: set EXOTIC_LOG=debug to see which one";
	case -EBUSY:
		return "busy, in use: from exotic_module_unload(), close /dev/exotic users and unmap regions first; from a region call, the region is already mapped, or has no mapping of its own (unmapped or parked)";
	case -EEXIST:
		return "already exists: from exotic_module_load(), the module is already loaded (unload it first to change its parameters); from a memslot call, the slot or its guest range is taken";
	case -ETIMEDOUT:
		return "timed out waiting for the device (from exotic_device_wait() or exotic_module_load()): check that the module loaded (dmesg) and that devtmpfs or udevd creates /dev/exotic";
	case -EFAULT:
		return "bad address: from exotic_vcpu_run(), KVM could not map the guest's memory (the region was revoked, or this kernel refuses it: see the profile's table); from other calls, a bad pointer";
	case -ENAMETOOLONG:
		return "buffer too small: from exotic_device_find(), for the device path; from the profile calls, for the table name";
	case -ENOEXEC:
		return "invalid module file (from exotic_module_load()): build exotic.ko for the running kernel (uname -r)";
	case -EKEYREJECTED:
		return "module signature rejected (from exotic_module_load()): sign exotic.ko or boot without module.sig_enforce";
	default:
		return strerror(-err);
	}
}
