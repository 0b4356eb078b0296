/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The access log: one packed record (log_record.h) per request/response
 * pair into the log_events ring, unless sampled out or rate limited.
 */
#ifndef APISCOPE_ACCESS_LOG_BPF_H
#define APISCOPE_ACCESS_LOG_BPF_H

#include "kernel_env.bpf.h"
#include "log_record.h"
#include "record.h"

/* One access log record, unless sampled out or rate limited. */
__attribute__((noinline)) int as_log_record(struct as_conn *c, struct as_scratch *s,
					    struct as_hdr_vals *req, struct as_hdr_vals *resp)
{
	struct as_log_rec *r;
	__u32 zero = 0, size;
	__u64 flags, before, after;

	if (!c || !s)
		return 0;
	if (log_sample_threshold < (1ULL << 32) && bpf_get_prandom_u32() >= log_sample_threshold) {
		as_hook_count(AS_CNT_LOG_SAMPLED);
		return 0;
	}
	if (log_rate_limit) {
		struct as_log_rate *rl = bpf_map_lookup_elem(&log_rate, &zero);
		__u64 sec = s->now / 1000000000ULL;

		if (!rl)
			return 0;
		if (rl->second != sec) {
			rl->second = sec;
			rl->count = 0;
		}
		if (__sync_fetch_and_add(&rl->count, 1) >= log_rate_limit) {
			as_hook_count(AS_CNT_LOG_RATE_LIMITED);
			return 0;
		}
	}
	r = bpf_map_lookup_elem(&log_buf, &zero);
	if (!r)
		return 0;
	as_call_fill(&r->call, c, s);
	r->bytes = 0;
	r->has_req = req && !as_log_pack(r, req, 0);
	r->has_resp = resp && !as_log_pack(r, resp, 1);
	size = r->bytes;
	if (size > AS_LOG_DATA_MAX)
		size = AS_LOG_DATA_MAX;
	size += AS_LOG_HEAD;
	/* The reader paces its polls to the traffic, so this is for bursts:
	 * one wake-up when this record takes the backlog past log_wake_bytes,
	 * not one per record until the reader runs (a wake-up is an
	 * inter-processor interrupt, a VM exit in a guest: per record, most of
	 * the log's cost). Two CPUs crossing at once can both miss it, so past
	 * twice the threshold every record asks. */
	before = bpf_ringbuf_query(&log_events, BPF_RB_AVAIL_DATA);
	after = before + size + 8; /* and the record's header */
	flags = (before < log_wake_bytes && after >= log_wake_bytes) || after >= 2 * log_wake_bytes
			? BPF_RB_FORCE_WAKEUP
			: BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&log_events, r, size, flags))
		as_hook_count(AS_CNT_LOG_BUFFER_FULL);
	return 0;
}

#endif
