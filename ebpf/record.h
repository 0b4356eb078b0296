/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What a finished request/response pair (s->rec of connection c) becomes, in
 * every environment: the captures that are its own, the metric key it counts
 * under, and the call handed to the exporter with the access log and the
 * LLM/MCP events. The kernel's as_hook_record (record.bpf.h) and the unit
 * tests' build on these.
 */
#ifndef APISCOPE_RECORD_H
#define APISCOPE_RECORD_H

#include "parser_env.h"

/* The capture entry of a record's request (slot) or response, if it is the
 * one of that very message. */
AS_INLINE struct as_hdr_vals *as_cap_of(struct as_scratch *s, __u32 slot, __u64 start_ns)
{
	struct as_hdr_vals *v;

	if (!start_ns)
		return 0;
	v = AS_CAP_FIND(s, slot);
	return v && v->start_ns == start_ns ? v : 0;
}

/* The key of the series the record counts under; header labels are the
 * caller's (they need the label maps). key must be zeroed: it is hashed
 * byte for byte. */
AS_INLINE void as_metric_key_fill(struct as_metric_key *key, const struct as_conn *c,
				  const struct as_record *rec)
{
	__builtin_memcpy(key->comm, c->comm, AS_COMM_LEN);
	key->route_id = rec->route_id;
	key->status = rec->status;
	key->method = rec->method;
	key->error = rec->error;
	key->tls = c->tls;
	key->version = rec->version;
	key->cgroup = c->cgroup;
	if (c->role == AS_ROLE_CLIENT) {
		key->direction = AS_DIR_CLIENT;
		key->peer_port = c->peer_port;
		__builtin_memcpy(key->peer_addr, c->peer_addr, sizeof(key->peer_addr));
	}
}

/* The record as handed to the exporter. */
AS_INLINE void as_call_fill(struct as_call *d, const struct as_conn *c, const struct as_scratch *s)
{
	const struct as_record *rec = &s->rec;

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
	d->version = rec->version;
	__builtin_memcpy(d->peer_addr, c->peer_addr, sizeof(d->peer_addr));
	__builtin_memcpy(d->comm, c->comm, AS_COMM_LEN);
	d->cgroup = c->cgroup;
}

/* Header value k of a capture into dst (room bytes); returns its length. */
AS_INLINE __u8 as_genai_hdr(char *dst, __u32 room, const struct as_hdr_vals *cap, __u32 k)
{
	__u32 len;

	if (!cap || k >= AS_MAX_HDRS || !(cap->present & (1u << k)))
		return 0;
	k &= AS_MAX_HDRS - 1;
	len = cap->len[k];
	if (len > room)
		len = room;
	if (!len || AS_COPY(dst, len, cap->val[k]))
		return 0;
	return len;
}

/* An LLM or MCP call, complete with the record: timed to the end of the
 * response (HTTP durations end at its first byte: a stream's total, apart
 * from its first chunk), with its MCP session and protocol headers (indexes
 * in the capture lists, AS_MAX_HDRS: none). */
AS_INLINE void as_genai_finish(struct as_genai_call *g, const struct as_conn *c, const struct as_scratch *s,
			       const struct as_hdr_vals *req, const struct as_hdr_vals *resp,
			       const struct as_genai_hdrs *h)
{
	const struct as_record *rec = &s->rec;

	as_call_fill(&g->call, c, s);
	if (s->now > rec->start_ns)
		g->call.duration_ns = s->now - rec->start_ns;
	g->kind = rec->genai;
	g->session_len[0] = as_genai_hdr(g->session[0], AS_HDR_VAL_MAX, req, h->session[0]);
	g->session_len[1] = as_genai_hdr(g->session[1], AS_HDR_VAL_MAX, resp, h->session[1]);
	g->proto_len = as_genai_hdr(g->proto, AS_GENAI_PROTO_MAX, req, h->proto);
}

#endif
