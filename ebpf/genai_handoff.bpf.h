/* SPDX-License-Identifier: GPL-2.0 */
/* A finished LLM or MCP call handed to the exporter (ring genai_events). */
#ifndef APISCOPE_GENAI_HANDOFF_BPF_H
#define APISCOPE_GENAI_HANDOFF_BPF_H

#include "kernel_env.bpf.h"
#include "record.h"

/* The exporter drains the ring on a timer and before every scrape, so no
 * wake-up is asked for. */
__attribute__((noinline)) int as_genai_record(struct as_conn *c, struct as_scratch *s,
					      struct as_hdr_vals *req, struct as_hdr_vals *resp)
{
	struct as_genai_hdrs hdrs = genai_hdrs; /* read from rodata: a cast would let it fold to {} */
	struct as_cap_key k = {};
	struct as_genai_call *g;
	struct as_record *rec;

	if (!c || !s)
		return 0;
	rec = &s->rec;
	g = as_genai_get(&s->key, rec->slot & (AS_PIPELINE - 1), rec->start_ns, true);
	if (!g)
		return 0;
	as_genai_finish(g, c, s, req, resp, &hdrs);
	if (bpf_ringbuf_output(&genai_events, g, sizeof(*g), BPF_RB_NO_WAKEUP))
		as_hook_count(AS_CNT_GENAI_EVENTS_LOST);
	k.tgid = s->key.tgid;
	k.fd = s->key.fd;
	k.slot = rec->slot & (AS_PIPELINE - 1);
	bpf_map_delete_elem(&genai_calls, &k);
	return 0;
}

#endif
