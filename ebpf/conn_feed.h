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
	for (i = 0; i < AS_MAX_ITEMS; i++) {
		r = as_feed_step(c, s);
		if (r == AS_STEP_H2)
			return as_h2_feed(c, s);
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
			as_h2_payload_end(c, s, d);
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
 * come after the last response: they need no clock read and no scratch. An
 * HTTP/2 connection's open streams are finished by the exporter. */
AS_INLINE int as_conn_in_flight(const struct as_conn *c)
{
	return c->proto == AS_PROTO_H1 && as_h1_in_flight(c);
}

/* The connection is closing: what it had in flight is recorded. */
AS_INLINE void as_conn_close(struct as_conn *c, struct as_scratch *s)
{
	if (c->proto == AS_PROTO_H1)
		as_h1_close(c, s);
}

#endif
