/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * HTTP/1.x requests and responses matched on a connection: the side each end
 * is on, the queue of requests awaiting a response (pipelining), the route
 * of each request, how a message's body is delimited (RFC 9112 6.3), and the
 * record of a finished pair handed to as_hook_record().
 */
#ifndef APISCOPE_HTTP1_MATCH_H
#define APISCOPE_HTTP1_MATCH_H

#include "parser_env.h"

AS_INLINE void as_record_pending(struct as_conn *c, struct as_scratch *s, __u16 status,
				 __u64 resp_bytes, __u64 end_ns, __u8 error)
{
	struct as_pending *p = &c->q[c->q_head & (AS_PIPELINE - 1)];

	s->rec.duration_ns = end_ns > p->start_ns ? end_ns - p->start_ns : 0;
	s->rec.route_id = p->route_id;
	s->rec.req_bytes = p->req_bytes;
	s->rec.resp_bytes = resp_bytes;
	s->rec.status = status;
	s->rec.method = p->method;
	s->rec.error = error;
	s->rec.start_ns = p->start_ns;
	s->rec.resp_start_ns = status ? c->resp_first_ns : 0;
	s->rec.slot = c->q_head & (AS_PIPELINE - 1);
	s->rec.genai = p->genai;
	s->rec.version = p->version;
	as_hook_record(c, s);
	c->q_head = (c->q_head + 1) & (AS_PIPELINE - 1);
	c->q_len--;
}

/* The request stream: read by a server, written by a client. */
AS_INLINE struct as_stream *as_request_stream(struct as_conn *c)
{
	return as_stream_of(c, c->role == AS_ROLE_SERVER);
}

/* A response that came before its request's body ended (an early 4xx,
 * nginx's `return` before it reads the body) is recorded now. */
AS_API int as_record_deferred(struct as_conn *c, struct as_scratch *s)
{
	struct as_pending *p;

	if (!c || !s || !c->deferred || !c->q_len)
		return 0;
	p = &c->q[c->q_head & (AS_PIPELINE - 1)];
	c->deferred = 0;
	if (!p->req_bytes)
		p->req_bytes = as_request_stream(c)->body; /* what came of it */
	as_record_pending(c, s, c->deferred_status, c->deferred_bytes, c->resp_first_ns, AS_ERR_NONE);
	return 0;
}

/* The framing of a stream is lost: count it, forget what was in flight and
 * look for the next start line. */
AS_INLINE void as_stream_lost(struct as_conn *c, struct as_scratch *s, struct as_stream *st,
			      __u32 counter)
{
	if (c->deferred)
		as_record_deferred(c, s);
	as_hook_count(counter);
	st->phase = AS_PH_IDLE;
	c->q_len = 0;
	c->resp_active = 0;
}

/* A hash of the raw request target w[off..off+len), a word at a time, never
 * 0; 0 if the target reaches too near the window's end to be hashed whole.
 * On the numeric iterator: as a plain loop its per-word branches cost the
 * verifier some 400k instructions. */
AS_INLINE __u64 as_target_hash(const struct as_window *w, __u32 off, __u32 len)
{
	__u64 h = 0x9e3779b97f4a7c15ULL ^ len, v;
	AS_ITER it;
	int *i;

	if (off + len > AS_WINDOW - 16)
		return 0;
	AS_ITER_NEW(&it, 0, (len + 7) / 8);
	while ((i = AS_ITER_NEXT(&it))) {
		__u32 at = *i * 8;

		if (at >= AS_WINDOW - 16 || at >= len)
			break;
		v = as_load64(w, off + at);
		if (len - at < 8)
			v &= as_low_bytes(len - at);
		h = (h ^ v) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	AS_ITER_DESTROY(&it);
	return h | 1;
}

/* The service (comm) of c, as two words to compare. */
AS_INLINE int as_same_comm(const struct as_conn *c, const __u64 *comm)
{
	__u64 w[2];

	__builtin_memcpy(w, c->comm, sizeof(w));
	return w[0] == comm[0] && w[1] == comm[1];
}

/* The route id of the request target just parsed. A connection that repeats
 * its target (a keep-alive client polling an endpoint, a gateway's upstream
 * pool) reuses the route found for it the last time, and a new connection
 * the one this CPU last found for its service and target (clients that open
 * a connection per request): normalising and the route lookups are most of
 * a request start's cost. */
AS_INLINE __u64 as_request_route(struct as_conn *c, struct as_scratch *s)
{
	__u64 th = as_target_hash(&s->w, s->st.path_off, s->st.path_len), id;
	struct as_route_memo *m = &s->last_route;

	if (th && th == c->target_hash) {
		s->genai = c->target_genai;
		return c->target_route;
	}
	if (th && th == m->target_hash && as_same_comm(c, m->comm)) {
		id = m->route_id;
		s->genai = m->genai;
	} else {
		as_normalize_route(&s->w, s->st.path_off, s->st.path_len, &s->r, &s->norm);
		id = as_hook_route(c, s);
		/* an overflow may be a full map: ask again next time */
		m->target_hash = id == AS_ROUTE_ID_OVERFLOW ? 0 : th;
		m->route_id = id;
		m->genai = s->genai;
		__builtin_memcpy(m->comm, c->comm, sizeof(m->comm));
	}
	c->target_hash = id == AS_ROUTE_ID_OVERFLOW ? 0 : th;
	c->target_route = id;
	c->target_genai = s->genai;
	return id;
}

/* The first message recognised on a connection tells which end it is on;
 * only then is it counted as an HTTP connection (apiscope_connections_
 * observed_total): first bytes that merely look like HTTP are not. */
AS_INLINE void as_learn_role(struct as_conn *c, __u8 role)
{
	if (c->role != AS_ROLE_UNKNOWN)
		return;
	c->role = role;
	as_hook_count(AS_CNT_CONN_OPENED);
}

/* A start line was parsed into s->st: returns 0 to frame the message. */
AS_INLINE int as_on_start(struct as_conn *c, struct as_scratch *s, struct as_stream *st)
{
	__u8 want = s->dir_in ? AS_ROLE_SERVER : AS_ROLE_CLIENT;

	st->untracked = 0;
	st->interim = 0;
	s->genai = AS_GENAI_NONE;
	if (s->st.kind == AS_MSG_REQUEST) {
		struct as_pending *p;

		as_learn_role(c, want);
		if (c->role != want)
			return -1;
		if (c->q_len >= AS_PIPELINE) {
			as_hook_count(AS_CNT_PIPELINE_OVERFLOW);
			st->untracked = 1;
			return 0;
		}
		p = &c->q[(c->q_head + c->q_len) & (AS_PIPELINE - 1)];
		p->route_id = as_request_route(c, s);
		p->start_ns = s->now;
		p->req_bytes = 0;
		p->method = s->st.method;
		p->genai = s->genai;
		p->version = s->st.version;
		c->q_len++;
		return 0;
	}
	/* a response: the reader of responses is the client */
	want = s->dir_in ? AS_ROLE_CLIENT : AS_ROLE_SERVER;
	as_learn_role(c, want);
	if (c->role != want)
		return -1;
	c->resp_status = s->st.status;
	if (s->st.status < 200 && s->st.status != 101) {
		st->interim = 1;
		return 0;
	}
	if (!c->q_len) {
		as_hook_count(AS_CNT_UNMATCHED_RESPONSE);
		st->untracked = 1;
		return 0;
	}
	c->resp_first_ns = s->now;
	c->resp_active = 1;
	s->genai = c->q[c->q_head & (AS_PIPELINE - 1)].genai;
	return 0;
}

AS_INLINE void as_on_msg_done(struct as_conn *c, struct as_scratch *s, struct as_stream *st)
{
	st->phase = AS_PH_IDLE;
	if (st->untracked)
		return;
	if (st->kind == AS_MSG_REQUEST) {
		if (c->q_len)
			c->q[(c->q_head + c->q_len - 1) & (AS_PIPELINE - 1)].req_bytes = st->body;
		if (c->deferred)
			as_record_deferred(c, s);
		return;
	}
	if (st->interim || !c->resp_active || !c->q_len)
		return;
	c->resp_active = 0;
	{
		__u8 method = c->q[c->q_head & (AS_PIPELINE - 1)].method;
		__u16 status = c->resp_status;
		struct as_stream *rq = as_request_stream(c);

		if (c->q_len == 1 && rq->kind == AS_MSG_REQUEST && !rq->untracked &&
		    (rq->phase == AS_PH_BODY_LEN || rq->phase >= AS_PH_CHUNK_SIZE)) {
			c->deferred = 1;
			c->deferred_status = status;
			c->deferred_bytes = st->body;
			return;
		}

		if (status == 101 && AS_H2_ON) {
			/* HTTP/2 may follow (Upgrade: h2c): the request becomes its stream
			 * 1 or is recorded as it is, by what comes next (as_h1_upgraded) */
			c->upgrade = c->role;
			c->role = AS_ROLE_OFF;
			return;
		}
		as_record_pending(c, s, status, st->body, c->resp_first_ns, AS_ERR_NONE);
		if (status == 101 || (method == AS_METHOD_CONNECT && status / 100 == 2))
			c->role = AS_ROLE_OFF;
	}
}

/* The head ended: decide how the body is delimited (RFC 9112 6.3). */
AS_INLINE void as_on_head_done(struct as_conn *c, struct as_scratch *s, struct as_stream *st)
{
	__u8 f = st->head.flags;
	int no_body;

	st->body = 0;
	if (st->kind == AS_MSG_REQUEST) {
		no_body = !(f & (AS_HF_HAS_CL | AS_HF_CHUNKED));
	} else {
		__u16 status = c->resp_status;
		__u8 method = (c->q_len && !st->untracked) ? c->q[c->q_head & (AS_PIPELINE - 1)].method
							    : AS_METHOD_OTHER;

		/* RFC 9112 6.3: 1xx, 204, 304, HEAD and a successful CONNECT */
		no_body = status < 200 || status == 204 || status == 304 || method == AS_METHOD_HEAD ||
			  (method == AS_METHOD_CONNECT && status / 100 == 2);
	}
	if (no_body) {
		as_on_msg_done(c, s, st);
		return;
	}
	if (f & AS_HF_CHUNKED) {
		st->phase = AS_PH_CHUNK_SIZE;
		st->remaining = 0;
		return;
	}
	if ((f & AS_HF_HAS_CL) && !(f & AS_HF_BAD_CL)) {
		st->remaining = st->head.content_length;
		st->phase = AS_PH_BODY_LEN;
		if (!st->remaining)
			as_on_msg_done(c, s, st);
		return;
	}
	if (st->kind == AS_MSG_REQUEST) {
		as_stream_lost(c, s, st, AS_CNT_FRAMING_LOST); /* bad Content-Length */
		return;
	}
	st->phase = AS_PH_BODY_CLOSE;
}

#endif
