/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's bindings of parser_env.h: user memory through
 * bpf_probe_read_user, configuration from rodata, per-connection capture,
 * partial start line and LLM/MCP entries from their maps.
 */
#ifndef APISCOPE_KERNEL_ENV_BPF_H
#define APISCOPE_KERNEL_ENV_BPF_H

#include "maps.bpf.h"

#define AS_READ_USER(dst, len, src) bpf_probe_read_user((dst), (len), (const void *)(src))
#define AS_CAPTURE_ON capture_on
#define AS_CAPTURE_CFG capture_cfg
#define AS_GENAI_ON genai_on
#define AS_H2_ON h2_on

/* Zeroed values to insert from: they are larger than the BPF stack allows. */
static struct as_hdr_vals as_zero_cap = {};
static struct as_partial as_zero_partial = {};
static struct as_genai_call as_zero_genai = {};
static struct as_h2_spilled as_zero_h2_spilled = {};

/* The entry of key in map, made from init if there is none (another CPU's
 * may win the race); NULL if the map is full. */
static __always_inline void *as_lookup_or_init(void *map, const void *key, const void *init, __u64 flags)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, init, flags);
	return bpf_map_lookup_elem(map, key);
}

static __always_inline void as_count(__u32 counter)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &counter);

	if (v)
		*v += 1;
}

/* The capture entry of slot on the connection being fed; with start, reset
 * for a message that starts now. */
static __always_inline struct as_hdr_vals *as_cap_get(struct as_conn_key *key, __u64 now,
						       __u32 slot, bool start)
{
	struct as_cap_key k = {.tgid = key->tgid, .fd = key->fd, .slot = slot};
	struct as_hdr_vals *v;

	if (!start)
		return bpf_map_lookup_elem(&caps, &k);
	v = as_lookup_or_init(&caps, &k, &as_zero_cap, BPF_ANY);
	if (!v) {
		as_count(AS_CNT_CAPTURE_MAP_FULL);
		return NULL;
	}
	as_cap_reset(v, now);
	return v;
}

/* The partial start line of a connection's stream. */
static __always_inline struct as_partial *as_partial_get(struct as_conn_key *key, __u32 dir_in, bool create)
{
	struct as_cap_key k = {.tgid = key->tgid, .fd = key->fd, .slot = dir_in};
	if (!create)
		return bpf_map_lookup_elem(&partials, &k);
	return as_lookup_or_init(&partials, &k, &as_zero_partial, BPF_ANY);
}

/* The LLM/MCP call of a request slot of a connection. */
static __always_inline struct as_genai_call *as_genai_get(struct as_conn_key *key, __u32 slot,
							   __u64 start_ns, bool create)
{
	struct as_cap_key k = {.tgid = key->tgid, .fd = key->fd, .slot = slot};
	struct as_genai_call *g = bpf_map_lookup_elem(&genai_calls, &k);

	if (g && g->call.start_ns == start_ns)
		return g;
	if (!create)
		return NULL;
	if (!g) {
		if (bpf_map_update_elem(&genai_calls, &k, &as_zero_genai, BPF_ANY)) {
			as_count(AS_CNT_GENAI_MAP_FULL);
			return NULL;
		}
		g = bpf_map_lookup_elem(&genai_calls, &k);
		if (!g)
			return NULL;
	}
	as_genai_reset(g, start_ns);
	return g;
}

/* An HTTP/2 stream of a connection past its own slots. */
static __always_inline struct as_h2_stream *as_h2_spill(struct as_conn *c, struct as_conn_key *key, __u32 stream,
							bool create)
{
	struct as_cap_key k = {.tgid = key->tgid, .fd = key->fd, .slot = stream};
	struct as_h2_spilled *v = bpf_map_lookup_elem(&h2_streams, &k);

	if (v && v->conn == c->id)
		return &v->st;
	if (!create)
		return NULL;
	if (!v) { /* else an earlier connection's entry, taken over */
		bpf_map_update_elem(&h2_streams, &k, &as_zero_h2_spilled, BPF_ANY);
		v = bpf_map_lookup_elem(&h2_streams, &k);
		if (!v)
			return NULL;
	}
	v->conn = c->id;
	return &v->st;
}

static __always_inline int as_h2_unspill(struct as_conn_key *key, __u32 stream)
{
	struct as_cap_key k = {.tgid = key->tgid, .fd = key->fd, .slot = stream};

	return bpf_map_delete_elem(&h2_streams, &k) == 0;
}

#define AS_CAP_START(s, slot, start_ns) as_cap_get(&(s)->key, (start_ns), (slot), true)
#define AS_CAP_FIND(s, slot) as_cap_get(&(s)->key, (s)->now, (slot), false)
#define AS_PARTIAL_GET(s, create) as_partial_get(&(s)->key, (s)->dir_in, (create))
#define AS_GENAI_GET(s, slot, start_ns, create) as_genai_get(&(s)->key, (slot), (start_ns), (create))
#define AS_H2_SPILL(c, s, stream, create) as_h2_spill((c), &(s)->key, (stream), (create))
#define AS_H2_UNSPILL(c, s, stream) as_h2_unspill(&(s)->key, (stream))

#endif
