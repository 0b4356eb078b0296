/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hooks http_stream.h calls: route ids under the per-service cap, one
 * aggregated update per finished request, self-metric counters.
 */
#ifndef APISCOPE_RECORD_BPF_H
#define APISCOPE_RECORD_BPF_H

#include "maps.bpf.h"

__attribute__((noinline)) int as_hook_count(__u32 counter)
{
	as_count(counter);
	return 0;
}

/*
 * The first max_routes_per_service distinct routes of a service keep their
 * own id (the route's hash); later ones share AS_ROUTE_ID_OVERFLOW, so a
 * flood of unique URLs cannot grow the metrics map past the cap. A known
 * route costs one lookup: its entry holds its genai value (genai_routes is
 * filled before the programs attach), looked up once, when the route is new.
 */
__attribute__((noinline)) __u64 as_hook_route(struct as_conn *c, struct as_scratch *s)
{
	struct as_service_route_key key = {};
	__u64 *known, *count, zero = 0, genai = AS_GENAI_NONE;
	struct as_route *r;
	__u8 *kind;

	if (!c || !s)
		return AS_ROUTE_ID_OVERFLOW;
	r = &s->r;
	__builtin_memcpy(key.comm, c->comm, AS_COMM_LEN);
	key.route_hash = as_route_hash(r);
	known = bpf_map_lookup_elem(&service_routes, &key);
	if (known) {
		s->genai = *known;
		return key.route_hash;
	}
	if (genai_on && (kind = bpf_map_lookup_elem(&genai_routes, &key.route_hash)))
		genai = *kind;
	s->genai = genai;
	count = bpf_map_lookup_elem(&service_route_count, key.comm);
	if (!count) {
		bpf_map_update_elem(&service_route_count, key.comm, &zero, BPF_NOEXIST);
		count = bpf_map_lookup_elem(&service_route_count, key.comm);
		if (!count)
			goto overflow;
	}
	if (*count >= max_routes_per_service)
		goto overflow;
	if (bpf_map_update_elem(&routes, &key.route_hash, r, BPF_ANY)) {
		as_hook_count(AS_CNT_ROUTES_MAP_FULL);
		goto overflow;
	}
	if (bpf_map_update_elem(&service_routes, &key, &genai, BPF_NOEXIST) == 0)
		__sync_fetch_and_add(count, 1);
	return key.route_hash;
overflow:
	as_hook_count(AS_CNT_ROUTE_OVERFLOW);
	return AS_ROUTE_ID_OVERFLOW;
}

static __always_inline __u32 as_bucket(__u64 v, const volatile __u64 *bounds, __u32 n)
{
	__u32 i;

	for (i = 0; i < AS_MAX_DURATION_BOUNDS; i++)
		if (i >= n || v <= bounds[i])
			break;
	/* keep the index provably inside the array for the verifier */
	asm volatile("%0 &= 31" : "+r"(i));
	return i < AS_BUCKETS ? i : AS_BUCKETS - 1;
}

/* The value to add a request to, created on first use; NULL if the map is full. */
static __always_inline struct as_metric_val *as_metric_slot(void *map, struct as_metric_key *key)
{
	struct as_metric_val *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, &as_zero_metric, BPF_NOEXIST);
	v = bpf_map_lookup_elem(map, key);
	if (!v)
		as_hook_count(AS_CNT_METRICS_MAP_FULL);
	return v;
}

/* Shared values need atomic adds; per-CPU values are only ever touched by
 * their own CPU (programs do not migrate while they run). */
#define AS_ADD(field, n)                                                                   \
	do {                                                                               \
		if (percpu_metrics)                                                        \
			(field) += (n);                                                    \
		else                                                                       \
			__sync_fetch_and_add(&(field), (n));                               \
	} while (0)

/* The label value id of header label l in cap (a request's or a response's
 * captured headers), under the per-service cap. s->lt holds its text. */
__attribute__((noinline)) __u64 as_label_id(struct as_conn *c, struct as_scratch *s,
					    struct as_hdr_vals *cap, __u32 l)
{
	struct as_label_key key = {};
	struct as_label_count_key ck = {};
	__u64 *count, zero = 0, h = 0xcbf29ce484222325ULL;
	__u32 k, len, i, product;

	if (!c || !s || !cap || l >= AS_MAX_LABELS)
		return AS_LABEL_EMPTY;
	l = as_mask(l, AS_MAX_LABELS - 1);
	k = capture_cfg.labels[l].hdr & (AS_MAX_HDRS - 1);
	product = capture_cfg.labels[l].product;
	if (!(cap->present & (1u << k)))
		return AS_LABEL_EMPTY;
	len = cap->len[k];
	for (i = 0; i < AS_HDR_VAL_MAX; i++) {
		__u8 ch;

		if (i >= len)
			break;
		ch = cap->val[k][i];
		if (product && (ch == '/' || ch == ' '))
			break;
		s->lt.text[i] = ch;
		h = (h ^ ch) * 0x100000001b3ULL;
	}
	if (!i)
		return AS_LABEL_EMPTY;
	s->lt.len = i;
	s->lt.truncated = i == len && (cap->truncated & (1u << k));
	h = (h ^ s->lt.truncated) * 0x100000001b3ULL;
	if (h < 16)
		h += 16;
	__builtin_memcpy(key.comm, c->comm, AS_COMM_LEN);
	key.label = l;
	key.hash = h;
	if (bpf_map_lookup_elem(&label_values, &key))
		return h;
	__builtin_memcpy(ck.comm, c->comm, AS_COMM_LEN);
	ck.label = l;
	count = bpf_map_lookup_elem(&label_value_count, &ck);
	if (!count) {
		bpf_map_update_elem(&label_value_count, &ck, &zero, BPF_NOEXIST);
		count = bpf_map_lookup_elem(&label_value_count, &ck);
		if (!count) {
			as_hook_count(AS_CNT_LABEL_VALUES_MAP_FULL);
			return AS_LABEL_OTHER;
		}
	}
	if (*count >= max_label_values) {
		as_hook_count(AS_CNT_LABEL_OVERFLOW + l);
		return AS_LABEL_OTHER;
	}
	if (bpf_map_update_elem(&label_values, &key, &s->lt, BPF_NOEXIST)) {
		if (bpf_map_lookup_elem(&label_values, &key))
			return h; /* another CPU added it first */
		as_hook_count(AS_CNT_LABEL_VALUES_MAP_FULL);
		return AS_LABEL_OTHER;
	}
	__sync_fetch_and_add(count, 1);
	return h;
}

/* The record in s->rec of connection c, as handed to the exporter. */
static __always_inline void as_call_fill(struct as_call *d, struct as_conn *c, struct as_scratch *s)
{
	struct as_record *rec = &s->rec;

	d->start_ns = rec->start_ns;
	d->duration_ns = rec->duration_ns;
	d->route_id = rec->route_id;
	d->req_bytes = rec->req_bytes;
	d->resp_bytes = rec->resp_bytes;
	d->tgid = s->key.tgid;
	d->status = rec->status;
	d->peer_port = c->peer_port;
	d->local_port = c->local_port;
	d->method = rec->method;
	d->error = rec->error;
	d->direction = c->role == AS_ROLE_CLIENT ? AS_DIR_CLIENT : AS_DIR_SERVER;
	d->tls = c->tls;
	__builtin_memcpy(d->peer_addr, c->peer_addr, sizeof(d->peer_addr));
	__builtin_memcpy(d->comm, c->comm, AS_COMM_LEN);
}

/* Append a capture (dir 0: a request's, 1: a response's) to r as struct
 * as_log_rec lays it out: only the bytes its values and path hold, so a
 * record is a few hundred bytes, not the 2.7 KiB of two whole captures.
 * Returns -1, with r->bytes as it was, if a copy failed. */
static __always_inline int as_log_pack(struct as_log_rec *r, struct as_hdr_vals *src, __u32 dir)
{
	struct as_hdr_vals *m = (struct as_hdr_vals *)r->meta[dir & 1];
	__u32 off = r->bytes, k, len;

	/* lengths are read from this copy, so the bytes packed agree with it */
	__builtin_memcpy(m, src, AS_CAP_META);
	for (k = 0; k < AS_MAX_HDRS; k++) {
		len = m->len[k];
		if (!(m->present & (1u << k)) || !len)
			continue;
		if (len > AS_HDR_VAL_MAX)
			len = AS_HDR_VAL_MAX;
		if (off > AS_LOG_DATA_MAX - AS_HDR_VAL_MAX || /* cannot be: for the verifier */
		    bpf_probe_read_kernel(r->data + off, len, src->val[k]))
			return -1;
		off += len;
	}
	len = m->path_len < AS_PATH_MAX ? m->path_len : AS_PATH_MAX;
	if (dir == 0 && len) {
		if (off > AS_LOG_DATA_MAX - AS_PATH_MAX || bpf_probe_read_kernel(r->data + off, len, src->path))
			return -1;
		off += len;
	}
	r->bytes = off;
	return 0;
}

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

__attribute__((noinline)) int as_hook_body(struct as_conn *c, struct as_scratch *s, __u32 off, __u32 len)
{
	if (!c || !s)
		return 0;
	return as_genai_feed(c, s, off, len);
}

/* Header value k of a capture into dst (room bytes); returns its length. */
static __always_inline __u8 as_genai_hdr(char *dst, __u32 room, struct as_hdr_vals *cap, __u32 k)
{
	__u32 len;

	if (!cap || k >= AS_MAX_HDRS || !(cap->present & (1u << k)))
		return 0;
	k &= AS_MAX_HDRS - 1;
	len = cap->len[k];
	if (len > room)
		len = room;
	if (!len || bpf_probe_read_kernel(dst, len, cap->val[k]))
		return 0;
	return len;
}

/* Hand a finished LLM or MCP call to the exporter. The exporter drains the
 * ring on a timer and before every scrape, so no wake-up is asked for. */
__attribute__((noinline)) int as_genai_record(struct as_conn *c, struct as_scratch *s,
					      struct as_hdr_vals *req, struct as_hdr_vals *resp)
{
	struct as_cap_key k = {};
	struct as_genai_call *g;
	struct as_record *rec;

	if (!c || !s)
		return 0;
	rec = &s->rec;
	g = as_genai_get(&s->key, rec->slot & (AS_PIPELINE - 1), rec->start_ns, true);
	if (!g)
		return 0;
	as_call_fill(&g->call, c, s);
	/* to the end of the response (HTTP durations end at its first byte):
	 * a stream's total, apart from its first chunk */
	if (s->now > rec->start_ns)
		g->call.duration_ns = s->now - rec->start_ns;
	g->kind = rec->genai;
	g->session_len[0] = as_genai_hdr(g->session[0], AS_HDR_VAL_MAX, req, genai_hdrs.session[0]);
	g->session_len[1] = as_genai_hdr(g->session[1], AS_HDR_VAL_MAX, resp, genai_hdrs.session[1]);
	g->proto_len = as_genai_hdr(g->proto, AS_GENAI_PROTO_MAX, req, genai_hdrs.proto);
	if (bpf_ringbuf_output(&genai_events, g, sizeof(*g), BPF_RB_NO_WAKEUP))
		as_hook_count(AS_CNT_GENAI_EVENTS_LOST);
	k.tgid = s->key.tgid;
	k.fd = s->key.fd;
	k.slot = rec->slot & (AS_PIPELINE - 1);
	bpf_map_delete_elem(&genai_calls, &k);
	return 0;
}

/* The capture entry of a record's request (slot) or response, if it is the
 * one of that very message. */
static __always_inline struct as_hdr_vals *as_cap_of(struct as_scratch *s, __u32 slot, __u64 start_ns)
{
	struct as_hdr_vals *v;

	if (!start_ns)
		return NULL;
	v = AS_CAP_FIND(s, slot);
	return v && v->start_ns == start_ns ? v : NULL;
}

__attribute__((noinline)) int as_hook_record(struct as_conn *c, struct as_scratch *s)
{
	struct as_metric_key key = {};
	struct as_hdr_vals *req = NULL, *resp = NULL;
	struct as_metric_val *v;
	struct as_record *rec;
	__u32 b, l;

	if (!c || !s)
		return 0;
	rec = &s->rec;
	if (capture_on || rec->genai) {
		req = as_cap_of(s, rec->slot & (AS_PIPELINE - 1), rec->start_ns);
		resp = as_cap_of(s, AS_CAP_SLOT_RESP, rec->resp_start_ns);
	}
	if (capture_on) {
		for (l = 0; l < AS_MAX_LABELS; l++) {
			if (l >= capture_cfg.n_labels)
				break;
			key.labels[l] = as_label_id(c, s, capture_cfg.labels[l].dir ? resp : req, l);
		}
	}
	__builtin_memcpy(key.comm, c->comm, AS_COMM_LEN);
	key.route_id = rec->route_id;
	key.status = rec->status;
	key.method = rec->method;
	key.error = rec->error;
	key.tls = c->tls;
	if (c->role == AS_ROLE_CLIENT) {
		key.direction = AS_DIR_CLIENT;
		key.peer_port = c->peer_port;
		__builtin_memcpy(key.peer_addr, c->peer_addr, sizeof(key.peer_addr));
	}
	v = as_metric_slot(percpu_metrics ? (void *)&metrics_percpu : (void *)&metrics, &key);
	if (!v)
		return 0;
	AS_ADD(v->count, 1);
	AS_ADD(v->duration_ns_sum, rec->duration_ns);
	AS_ADD(v->req_bytes_sum, rec->req_bytes);
	AS_ADD(v->resp_bytes_sum, rec->resp_bytes);
	b = as_bucket(rec->duration_ns, duration_bounds_ns, n_duration_bounds);
	AS_ADD(v->duration_bucket[b], 1);
	b = as_bucket(rec->req_bytes, size_bounds, n_size_bounds);
	AS_ADD(v->req_size_bucket[b], 1);
	b = as_bucket(rec->resp_bytes, size_bounds, n_size_bounds);
	AS_ADD(v->resp_size_bucket[b], 1);
	as_hook_count(AS_CNT_REQUESTS);
	if (genai_on && rec->genai)
		as_genai_record(c, s, req, resp);
	if (log_on)
		as_log_record(c, s, req, resp);
	return 0;
}

#endif
