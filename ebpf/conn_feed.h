/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A connection's bytes to the framer of the protocol it speaks: HTTP/1
 * (http1_stream.h) until an HTTP/2 preface turns it to HTTP/2
 * (http2_stream.h).
 */
#ifndef APISCOPE_CONN_FEED_H
#define APISCOPE_CONN_FEED_H

#include "http1_stream.h"

/*
 * A 101 answered the request at q_head. If HTTP/2 frames (h2c) begin the
 * bytes at s->off (the server's SETTINGS, or the client's preface), the
 * request becomes stream 1 and the connection HTTP/2 (returns 1: the caller
 * feeds the frames, one call less deep for the verifier's stack bound);
 * otherwise the exchange was the 101 and the connection is no longer HTTP
 * (WebSocket, ...): 0.
 */
AS_API int as_h1_upgraded(struct as_conn *c, struct as_scratch *s)
{
	struct as_h2_stream *st;
	struct as_pending p;
	int h2 = 0;
	__u32 n;
	__u8 role;

	if (!c || !s)
		return -1;
	n = as_min(s->n - s->off, AS_H2_PREFACE_LEN);
	p = c->q[c->q_head & (AS_PIPELINE - 1)]; /* as_h2_begin reuses its bytes */
	role = c->upgrade;
	c->upgrade = 0;
	c->role = role;
	if (n && !AS_READ_USER(s->w.b, n & 31, s->ubuf + s->off))
		h2 = as_h2_preface_prefix(s->w.b, n) || as_could_be_h2(s->w.b, n);
	if (!h2 || !c->q_len) {
		if (c->q_len)
			as_record_pending(c, s, 101, 0, c->resp_first_ns, AS_ERR_NONE);
		c->role = AS_ROLE_OFF;
		return 0;
	}
	as_h2_begin(c, role, 0);
	st = as_h2_stream_of(c, s, 1, 1);
	if (st) {
		st->req_ns = p.start_ns;
		st->req_bytes = p.req_bytes;
		st->upgraded = 1;
		c->h2_up_route = p.route_id;
		c->h2_up_method = p.method;
	}
	return 1;
}

/*
 * Feed s->n bytes at user address s->ubuf, read (s->dir_in) or written by the
 * process at time s->now, to connection c. Returns 0, or -1 if the bytes are
 * not HTTP on a connection that has not yet spoken HTTP (or whose HTTP/2
 * frames are lost). One global function for both protocols: the verifier
 * allows eight nested calls, and HTTP/1's head scan uses them all.
 */
AS_API int as_feed(struct as_conn *c, struct as_scratch *s)
{
	__u32 i;
	int r;

	if (!c || !s)
		return -1;
	s->off = 0;
	if (c->proto == AS_PROTO_H2)
		return AS_H2_ON ? as_h2_feed(c, s) : 0;
	if (c->upgrade)
		return as_h1_upgraded(c, s) > 0 ? as_h2_feed(c, s) : 0;
	for (i = 0; i < AS_MAX_ITEMS; i++) {
		r = as_feed_step(c, s);
		if (r == AS_STEP_H2)
			return as_h2_feed(c, s);
		if (c->upgrade && s->off < s->n) /* frames right after the 101 */
			return as_h1_upgraded(c, s) > 0 ? as_h2_feed(c, s) : 0;
		if (r != AS_STEP_MORE)
			return r == AS_STEP_NOT_HTTP ? -1 : 0;
	}
	if (s->off < s->n)
		as_stream_lost(c, s, as_stream_of(c, s->dir_in), AS_CNT_TOO_MANY_ITEMS);
	return 0;
}

/* Bytes moved without a user buffer (sendfile) or past the iovecs we copy:
 * they can only be body bytes. In HTTP/2, bytes inside a DATA payload. */
AS_INLINE void as_feed_opaque(struct as_conn *c, struct as_scratch *s, __u32 dir_in, __u64 n)
{
	struct as_h2_dir *d = &c->h2[dir_in & 1];

	if (c->proto == AS_PROTO_H1) {
		as_h1_opaque(c, s, as_stream_of(c, dir_in), n);
	} else if (d->phase == AS_H2P_BODY && !d->block && n <= d->left) {
		d->left -= n;
		if (!d->left)
			as_h2_payload_end(c, s, d, 0);
	} else {
		c->h2[dir_in & 1].phase = AS_H2P_HEAD;
		as_h2_lost();
	}
}

/* The process read EOF: close-delimited HTTP/1 bodies end. */
AS_INLINE void as_feed_eof(struct as_conn *c, struct as_scratch *s, __u32 dir_in)
{
	if (c->proto == AS_PROTO_H1)
		as_h1_eof(c, s, dir_in);
}

/* Has a closing connection anything to finish (as_conn_close)? Most closes
 * come after the last response: they need no clock read and no scratch. */
AS_INLINE int as_conn_in_flight(const struct as_conn *c)
{
	return c->proto == AS_PROTO_H1 ? as_h1_in_flight(c) : as_h2_in_flight(c);
}

/* The connection is closing: what it had in flight is recorded. */
AS_INLINE void as_conn_close(struct as_conn *c, struct as_scratch *s)
{
	if (c->proto == AS_PROTO_H1)
		as_h1_close(c, s);
	else
		as_h2_close(c, s);
}

#endif
