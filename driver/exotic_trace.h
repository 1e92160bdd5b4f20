/* SPDX-License-Identifier: GPL-2.0 */
/*
 * exotic: tracepoints for faults, zaps, revokes and migrations.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM exotic

#if !defined(_EXOTIC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _EXOTIC_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(exotic_fault,
	    TP_PROTO(u32 handle, u64 offset, unsigned long pfn,
		     unsigned int order, bool write, unsigned int ret),
	    TP_ARGS(handle, offset, pfn, order, write, ret),
	    TP_STRUCT__entry(__field(u32, handle)
			     __field(u64, offset)
			     __field(unsigned long, pfn)
			     __field(unsigned int, order)
			     __field(bool, write)
			     __field(unsigned int, ret)),
	    TP_fast_assign(__entry->handle = handle;
			   __entry->offset = offset;
			   __entry->pfn = pfn;
			   __entry->order = order;
			   __entry->write = write;
			   __entry->ret = ret;),
	    TP_printk("handle=%u offset=%#llx pfn=%#lx order=%u write=%d ret=%#x",
		      __entry->handle, __entry->offset, __entry->pfn,
		      __entry->order, __entry->write, __entry->ret)
);

TRACE_EVENT(exotic_zap,
	    TP_PROTO(u32 handle, u64 offset, u64 length),
	    TP_ARGS(handle, offset, length),
	    TP_STRUCT__entry(__field(u32, handle)
			     __field(u64, offset)
			     __field(u64, length)),
	    TP_fast_assign(__entry->handle = handle;
			   __entry->offset = offset;
			   __entry->length = length;),
	    TP_printk("handle=%u offset=%#llx length=%#llx",
		      __entry->handle, __entry->offset, __entry->length)
);

TRACE_EVENT(exotic_revoke,
	    TP_PROTO(u32 handle, u64 epoch, bool free),
	    TP_ARGS(handle, epoch, free),
	    TP_STRUCT__entry(__field(u32, handle)
			     __field(u64, epoch)
			     __field(bool, free)),
	    TP_fast_assign(__entry->handle = handle;
			   __entry->epoch = epoch;
			   __entry->free = free;),
	    TP_printk("handle=%u epoch=%llu free=%d",
		      __entry->handle, __entry->epoch, __entry->free)
);

TRACE_EVENT(exotic_migrate,
	    TP_PROTO(u32 handle, u64 offset, unsigned long old_pfn,
		     unsigned long new_pfn, u64 epoch),
	    TP_ARGS(handle, offset, old_pfn, new_pfn, epoch),
	    TP_STRUCT__entry(__field(u32, handle)
			     __field(u64, offset)
			     __field(unsigned long, old_pfn)
			     __field(unsigned long, new_pfn)
			     __field(u64, epoch)),
	    TP_fast_assign(__entry->handle = handle;
			   __entry->offset = offset;
			   __entry->old_pfn = old_pfn;
			   __entry->new_pfn = new_pfn;
			   __entry->epoch = epoch;),
	    TP_printk("handle=%u offset=%#llx pfn=%#lx->%#lx epoch=%llu",
		      __entry->handle, __entry->offset, __entry->old_pfn,
		      __entry->new_pfn, __entry->epoch)
);

#endif /* _EXOTIC_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE exotic_trace
#include <trace/define_trace.h>
