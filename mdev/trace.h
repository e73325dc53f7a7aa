/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgpu: tracepoints of the command engine (events/mgpu/ in tracefs): work submitted,
 * a switch between contexts, a fence completed.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM mgpu

#if !defined(MGPU_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define MGPU_TRACE_H

#include <linux/tracepoint.h>

/* Names are copied into fixed arrays: __string()'s helpers differ between 6.1 and 6.12. */
#define MGPU_TRACE_NAME	40

TRACE_EVENT(mgpu_engine_submit,
	    TP_PROTO(const char *ctx, u32 rhead, u32 rtail),
	    TP_ARGS(ctx, rhead, rtail),
	    TP_STRUCT__entry(__array(char, ctx, MGPU_TRACE_NAME)
			     __field(u32, head)
			     __field(u32, tail)),
	    TP_fast_assign(strscpy(__entry->ctx, ctx, MGPU_TRACE_NAME);
			   __entry->head = rhead;
			   __entry->tail = rtail;),
	    TP_printk("ctx=%s head=0x%x tail=0x%x", __entry->ctx, __entry->head,
		      __entry->tail)
);

TRACE_EVENT(mgpu_engine_switch,
	    TP_PROTO(const char *prev, const char *next, u64 slice_ns),
	    TP_ARGS(prev, next, slice_ns),
	    TP_STRUCT__entry(__array(char, prev, MGPU_TRACE_NAME)
			     __array(char, next, MGPU_TRACE_NAME)
			     __field(u64, slice_ns)),
	    TP_fast_assign(strscpy(__entry->prev, prev, MGPU_TRACE_NAME);
			   strscpy(__entry->next, next, MGPU_TRACE_NAME);
			   __entry->slice_ns = slice_ns;),
	    TP_printk("prev=%s next=%s slice_ns=%llu", __entry->prev, __entry->next,
		      __entry->slice_ns)
);

TRACE_EVENT(mgpu_engine_complete,
	    TP_PROTO(const char *ctx, u64 fence, u32 rhead),
	    TP_ARGS(ctx, fence, rhead),
	    TP_STRUCT__entry(__array(char, ctx, MGPU_TRACE_NAME)
			     __field(u64, fence)
			     __field(u32, head)),
	    TP_fast_assign(strscpy(__entry->ctx, ctx, MGPU_TRACE_NAME);
			   __entry->fence = fence;
			   __entry->head = rhead;),
	    TP_printk("ctx=%s fence=%llu head=0x%x", __entry->ctx, __entry->fence,
		      __entry->head)
);

#endif /* MGPU_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
