// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * KVM layer: KVM's own counters of a VM or a vCPU, read from its binary
 * statistics file (KVM_GET_STATS_FD, Linux >= 5.15; Documentation/virt/
 * kvm/api.rst §4.133): a header, one descriptor per statistic (its name
 * follows the descriptor, name_size bytes), then the values, 8 bytes each.
 */
#include <linux/kvm.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"
#include "kvm_internal.h"

static int stats_read(struct exotic_ctx *ctx, const char *what, int fd,
		      const char *const *names, uint64_t *values, size_t n)
{
	struct kvm_stats_header h;
	size_t desc_size;
	uint8_t *descs = NULL;
	int sfd, found = 0, ret;

	for (size_t i = 0; i < n; i++)
		values[i] = EXOTIC_STAT_MISSING;
	sfd = ioctl(fd, KVM_GET_STATS_FD, NULL);
	if (sfd < 0) {
		ret = -errno;
		exotic_err(ctx, "%s: KVM_GET_STATS_FD: %s (KVM before 5.15 has no binary stats)\n",
			   what, strerror(errno));
		return ret;
	}
	if (pread(sfd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		exotic_err(ctx, "%s: short read of the stats header\n", what);
		ret = -EIO;
		goto out;
	}
	desc_size = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = calloc(h.num_desc, desc_size);
	if (!descs) {
		ret = -ENOMEM;
		goto out;
	}
	if (pread(sfd, descs, desc_size * h.num_desc, h.desc_offset) !=
	    (ssize_t)(desc_size * h.num_desc)) {
		exotic_err(ctx, "%s: short read of the stats descriptors\n", what);
		ret = -EIO;
		goto out;
	}
	for (uint32_t d = 0; d < h.num_desc; d++) {
		const struct kvm_stats_desc *sd = (const void *)(descs + d * desc_size);
		const char *name = (const char *)(descs + d * desc_size + sizeof(*sd));

		for (size_t i = 0; i < n; i++) {
			uint64_t v[16], sum = 0;
			size_t cnt = sd->size < 16 ? sd->size : 16;

			if (!names[i] || strncmp(name, names[i], h.name_size))
				continue;
			if (!cnt || pread(sfd, v, cnt * 8, h.data_offset + sd->offset) !=
			    (ssize_t)(cnt * 8)) {
				exotic_err(ctx, "%s: cannot read statistic %s\n", what, names[i]);
				ret = -EIO;
				goto out;
			}
			for (size_t k = 0; k < cnt; k++)
				sum += v[k];
			values[i] = sum;
			found++;
		}
	}
	ret = found;
out:
	free(descs);
	close(sfd);
	return ret;
}

EXOTIC_EXPORT int exotic_vm_stats(struct exotic_vm *vm, const char *const *names,
				  uint64_t *values, size_t n)
{
	if (!vm || (n && (!names || !values)))
		return -EINVAL;
	return stats_read(vm->ctx, "vm", vm->vm_fd, names, values, n);
}

EXOTIC_EXPORT int exotic_vcpu_stats(struct exotic_vcpu *vcpu,
				    const char *const *names, uint64_t *values,
				    size_t n)
{
	char what[24];

	if (!vcpu || (n && (!names || !values)))
		return -EINVAL;
	snprintf(what, sizeof(what), "vcpu %u", vcpu->id);
	return stats_read(vcpu->vm->ctx, what, vcpu->fd, names, values, n);
}
