/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parser's hooks in the kernel (declared in parser_env.h): a finished
 * request counted in its series, then handed to the LLM/MCP reader and the
 * access log when those want it; body bytes to the LLM/MCP windows; the
 * self-metric counters. The route hook is in route_cap.bpf.h.
 */
#ifndef APISCOPE_RECORD_BPF_H
#define APISCOPE_RECORD_BPF_H

#include "access_log.bpf.h"
#include "genai_handoff.bpf.h"
#include "genai_window.h"
#include "h2_handoff.bpf.h"
#include "label_ids.bpf.h"
#include "metric_update.bpf.h"
#include "route_cap.bpf.h"

__attribute__((noinline)) int as_hook_count(__u32 counter)
{
	as_count(counter);
	return 0;
}

__attribute__((noinline)) int as_hook_body(struct as_conn *c, struct as_scratch *s, __u32 off, __u32 len)
{
	if (!c || !s)
		return 0;
	return as_genai_feed(c, s, off, len);
}

__attribute__((noinline)) int as_hook_record(struct as_conn *c, struct as_scratch *s)
{
	struct as_hdr_vals *req = NULL, *resp = NULL;
	struct as_metric_key *key;
	struct as_record *rec;
	__u32 l;

	if (!c || !s)
		return 0;
	rec = &s->rec;
	key = &s->mkey;
	__builtin_memset(key, 0, sizeof(*key));
	if (capture_on || rec->genai) {
		req = as_cap_of(s, rec->slot & (AS_PIPELINE - 1), rec->start_ns);
		resp = as_cap_of(s, AS_CAP_SLOT_RESP, rec->resp_start_ns);
	}
	if (capture_on) {
		for (l = 0; l < AS_MAX_LABELS; l++) {
			if (l >= capture_cfg.n_labels)
				break;
			key->labels[l] = as_label_id(c, s, capture_cfg.labels[l].dir ? resp : req, l);
		}
	}
	as_metric_key_fill(key, c, rec);
	if (as_metric_add(key, rec))
		return 0;
	as_hook_count(AS_CNT_REQUESTS);
	if (genai_on && rec->genai)
		as_genai_record(c, s, req, resp);
	if (log_on)
		as_log_record(c, s, req, resp);
	return 0;
}

#endif
