/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * HTTP/2 framing per connection (RFC 9113). Each direction is a sequence of
 * frames whose 9-byte headers, fixed fields and padding are read here,
 * across reads. Header block fragments go to the exporter as they come
 * (as_hook_h2_block), in order: HPACK makes a block's meaning depend on
 * every block before it on that direction, so the exporter decodes them
 * (with nghttp2's inflater). DATA payload is counted per stream, and a
 * stream ends at its response's END_STREAM or a RST_STREAM
 * (as_hook_h2_end). Requests are the client-initiated streams: the side
 * that sent the preface, or whose first header block starts with a
 * request's pseudo-header fields, is the client.
 */
#ifndef APISCOPE_HTTP2_STREAM_H
#define APISCOPE_HTTP2_STREAM_H

#include "genai_window.h"
#include "http1_match.h"

#define AS_H2_MAX_STEPS 1024 /* framing steps per buffer: a frame takes two or three */

/* Do the process's reads (dir_in) carry requests? */
AS_INLINE int as_h2_is_request(const struct as_conn *c, __u32 dir_in)
{
	return c->role == AS_ROLE_SERVER ? dir_in != 0 : dir_in == 0;
}

/* The connection speaks HTTP/2 from here; role is AS_ROLE_UNKNOWN when it
 * was first seen after its preface (mid). */
AS_INLINE void as_h2_begin(struct as_conn *c, __u8 role, __u8 mid)
{
	__builtin_memset(c->h2, 0, __builtin_offsetof(struct as_conn, h2_pad) + sizeof(c->h2_pad) -
					   __builtin_offsetof(struct as_conn, h2));
	c->q_len = 0; /* HTTP/1's queue shared the bytes */
	c->proto = AS_PROTO_H2;
	c->h2_mid = mid;
	if (role != AS_ROLE_UNKNOWN)
		as_learn_role(c, role);
}

/* The frames of this direction can no longer be found. */
AS_INLINE int as_h2_lost(void)
{
	as_hook_count(AS_CNT_H2_FRAMING_LOST);
	return AS_STEP_NOT_HTTP;
}

/*
 * Stream `stream` of the connection, if it is followed; created if asked
 * (zeroed but for its id). The first AS_H2_SLOTS open at once are in the
 * connection's own state, the rest in AS_H2_SPILL: most connections have a
 * few streams open at a time, and a map entry made and deleted per request
 * cost more than all the framing.
 */
AS_INLINE struct as_h2_stream *as_h2_stream_of(struct as_conn *c, struct as_scratch *s, __u32 stream, int create)
{
	struct as_h2_stream *st = 0;
	__u32 i, free = AS_H2_SLOTS;

	if (!stream)
		return 0;
	for (i = 0; i < AS_H2_SLOTS; i++) {
		if (c->h2s[i].id == stream)
			return &c->h2s[i];
		if (!c->h2s[i].id && free == AS_H2_SLOTS)
			free = i;
	}
	if (c->h2_spill)
		st = AS_H2_SPILL(c, s, stream, 0);
	if (st || !create)
		return st;
	if (free < AS_H2_SLOTS) {
		st = &c->h2s[free & (AS_H2_SLOTS - 1)];
	} else {
		st = AS_H2_SPILL(c, s, stream, 1);
		if (!st)
			return 0;
		if (c->h2_spill < 255)
			c->h2_spill++;
	}
	__builtin_memset(st, 0, sizeof(*st));
	st->id = stream;
	return st;
}

/* The stream ended (why: enum as_error << 16 | the RST_STREAM code): it is
 * handed over, and its place freed. */
AS_INLINE void as_h2_end_stream(struct as_conn *c, struct as_scratch *s, struct as_h2_stream *st, __u32 why)
{
	__u32 stream = st->id, i;

	as_hook_h2_end(c, s, st, stream, why);
	for (i = 0; i < AS_H2_SLOTS; i++)
		if (c->h2s[i].id == stream) {
			c->h2s[i].id = 0;
			return;
		}
	if (c->h2_spill && AS_H2_UNSPILL(c, s, stream) && c->h2_spill < 255)
		c->h2_spill--;
}

/* A response's END_STREAM, or a reset. */
AS_INLINE void as_h2_finish(struct as_conn *c, struct as_scratch *s, __u32 stream, __u32 why)
{
	struct as_h2_stream *st = as_h2_stream_of(c, s, stream, 0);

	if (st)
		as_h2_end_stream(c, s, st, why);
}

/* Does the connection hold open streams in its own state? */
AS_INLINE int as_h2_in_flight(const struct as_conn *c)
{
	__u32 i;

	for (i = 0; i < AS_H2_SLOTS; i++)
		if (c->h2s[i].id)
			return 1;
	return 0;
}

/* The connection is closing: the streams in its own state end with it (the
 * exporter finishes those in AS_H2_SPILL when told of the close). */
AS_INLINE void as_h2_close(struct as_conn *c, struct as_scratch *s)
{
	__u32 i;

	for (i = 0; i < AS_H2_SLOTS; i++)
		if (c->h2s[i].id) {
			as_hook_h2_end(c, s, &c->h2s[i], c->h2s[i].id, (__u32)AS_ERR_CONN_CLOSED << 16);
			c->h2s[i].id = 0;
		}
}

/*
 * A HEADERS frame's payload begins at s->off: on a connection first seen in
 * its middle, its first bytes tell which end this is; then the request's
 * headers start the stream (a second block is its trailers) and the
 * response's first headers time its answer.
 */
AS_INLINE void as_h2_headers(struct as_conn *c, struct as_scratch *s, struct as_h2_dir *d)
{
	struct as_h2_stream *st;
	__u32 dir_in = s->dir_in & 1;
	int req;

	if (c->role == AS_ROLE_UNKNOWN) {
		__u32 n = as_min(as_min(d->left, s->n - s->off), AS_H2_SIDE_BYTES);
		int side;

		if (!n || AS_READ_USER(s->w.b, n & (2 * AS_H2_SIDE_BYTES - 1), s->ubuf + s->off))
			return;
		side = as_h2_block_side(&s->w, n);
		if (!side)
			return;
		as_learn_role(c, (side == 1) == (dir_in != 0) ? AS_ROLE_SERVER : AS_ROLE_CLIENT);
	}
	req = as_h2_is_request(c, dir_in);
	st = as_h2_stream_of(c, s, d->stream, req);
	if (!st) {
		if (req)
			as_hook_count(AS_CNT_H2_STREAMS_FULL);
		return;
	}
	if (req && !st->req_ns) /* a second block of the request is its trailers */
		st->req_ns = s->now;
	else if (!req && !st->resp_ns)
		st->resp_ns = s->now;
}

/* Do body bytes start a JSON object or array (after blanks)? */
AS_INLINE int as_json_start(const __u8 *b, __u32 n)
{
	__u32 i;

	for (i = 0; i < 8 && i < n; i++)
		if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r' && b[i] != '\n')
			return b[i] == '{' || b[i] == '[';
	return 0;
}

/*
 * len DATA payload bytes at s->ubuf + off. LLM and MCP calls are JSON; which
 * route a stream is on only the exporter knows (its HPACK decoders), so the
 * body windows of every stream whose request body starts with JSON are kept
 * (genai_window.h) and handed over at its end, for the exporter to read if
 * its route is an LLM or MCP one.
 */
AS_INLINE int as_h2_body(struct as_conn *c, struct as_scratch *s, __u32 off, __u32 len)
{
	struct as_h2_dir *d = &c->h2[s->dir_in & 1];
	__u32 slot = AS_GENAI_H2_SLOT | d->stream;
	struct as_genai_call *g = 0;
	struct as_h2_stream *st;
	int req;

	if (c->role == AS_ROLE_UNKNOWN || !len || !(st = as_h2_stream_of(c, s, d->stream, 0)))
		return 0;
	req = as_h2_is_request(c, s->dir_in & 1);
	if (st->genai == AS_H2_GENAI_UNDECIDED) {
		__u32 n = as_min(len, 8);

		st->genai = AS_H2_GENAI_NO;
		if (!req || AS_READ_USER(s->w.b, as_mask(n, 15), s->ubuf + off) || !as_json_start(s->w.b, n))
			return 0;
		g = AS_GENAI_GET(s, slot, st->req_ns, 1);
		if (!g)
			return 0;
		st->genai = AS_H2_GENAI_KEPT;
	} else if (st->genai == AS_H2_GENAI_KEPT) {
		g = AS_GENAI_GET(s, slot, st->req_ns, 0);
	}
	if (g)
		as_genai_copy(g, !req, s->ubuf + off, len, s->now);
	return 0;
}

/* A DATA frame's payload is all read (bytes without padding). */
AS_INLINE void as_h2_data(struct as_conn *c, struct as_scratch *s, struct as_h2_dir *d, __u32 bytes)
{
	struct as_h2_stream *st;
	int req;

	if (c->role == AS_ROLE_UNKNOWN || !(st = as_h2_stream_of(c, s, d->stream, 0)))
		return;
	req = as_h2_is_request(c, s->dir_in & 1);
	if (req)
		st->req_bytes += bytes;
	else
		st->resp_bytes += bytes;
	if (!req && (d->flags & AS_H2_END_STREAM))
		as_h2_end_stream(c, s, st, 0);
}

/* The flags of the next header block record of d. */
AS_INLINE __u32 as_h2_block_flags(struct as_conn *c, struct as_scratch *s, struct as_h2_dir *d, __u32 last)
{
	__u32 f = d->block_flags;

	if (s->dir_in)
		f |= AS_H2R_IN;
	if (d->first)
		f |= AS_H2R_FIRST;
	if (last && (d->flags & AS_H2_END_HEADERS))
		f |= AS_H2R_END_HEADERS;
	if (c->h2_mid)
		f |= AS_H2R_MIDSTREAM;
	if (c->role != AS_ROLE_UNKNOWN && as_h2_is_request(c, s->dir_in & 1))
		f |= AS_H2R_REQUEST;
	return f;
}

/*
 * Are the len bytes at offset off of the buffer being fed in w (the
 * buffer's bytes read ahead, on the stack: a copy into a map costs more)?
 * If not, its next AS_H2_RA bytes from off are read there first. 0 if that
 * read failed.
 */
AS_INLINE int as_h2_ahead(struct as_scratch *s, struct as_h2_win *w, __u32 off, __u32 len)
{
	__u32 m;

	if (off >= w->off && off - w->off + len <= w->len)
		return 1;
	m = as_min(s->n - off, AS_H2_RA);
	if (len > m || m > AS_H2_RA || AS_READ_USER(w->b, m, s->ubuf + off))
		return 0;
	w->off = off;
	w->len = m;
	return 1;
}

/*
 * A header block fragment of len bytes at s->off for the exporter: a whole
 * block short enough is held back in the connection (AS_H2_HELD at most) and
 * goes with the connection's next record; anything else goes at once, after
 * the held blocks (the exporter reads a connection's records in order).
 */
AS_INLINE void as_h2_block(struct as_conn *c, struct as_scratch *s, struct as_h2_win *w, __u32 off, __u32 len,
				 __u32 flags)
{
	const __u32 whole = AS_H2R_FIRST | AS_H2R_END_HEADERS;
	struct as_h2_held *h;

	if (len < AS_H2_HELD_BYTES && (flags & whole) == whole) {
		if (c->h2_nheld >= AS_H2_HELD)
			as_hook_h2_held(c, s);
		h = &c->h2_held[as_mask(c->h2_nheld, AS_H2_HELD - 1)];
		if (!len || (as_h2_ahead(s, w, off, len) &&
			     !AS_COPY(h->b, as_mask(len, AS_H2_HELD_BYTES - 1), w->b + ((off - w->off) & (AS_H2_RA - 1))))) {
			h->ns = s->now;
			h->stream = c->h2[s->dir_in & 1].stream;
			h->len = len;
			h->flags = flags;
			c->h2_nheld++;
			return;
		}
	}
	if (c->h2_nheld)
		as_hook_h2_held(c, s);
	as_hook_h2_block(c, s, off, len, flags);
}

/* d's payload is all read: a header block may end, a stream may end. w:
 * the window as_h2_block reads from (NULL only for a DATA payload ended
 * outside a feed, as_feed_opaque). */
AS_INLINE void as_h2_payload_end(struct as_conn *c, struct as_scratch *s, struct as_h2_dir *d, struct as_h2_win *w)
{
	if (d->type == AS_H2_DATA) {
		as_h2_data(c, s, d, d->frame - d->padlen);
	} else if (d->block && (d->flags & AS_H2_END_HEADERS)) {
		if (d->first) /* an empty block still ends: the exporter's decoder is told */
			as_h2_block(c, s, w, s->off, 0, as_h2_block_flags(c, s, d, 1));
		d->block = 0;
		if ((d->block_flags & AS_H2R_END_STREAM) && c->role != AS_ROLE_UNKNOWN &&
		    !as_h2_is_request(c, s->dir_in & 1))
			as_h2_finish(c, s, d->stream, 0);
	}
	d->left = d->padlen;
	d->phase = d->padlen ? AS_H2P_PAD : AS_H2P_HEAD;
}

/* The payload (without padding) of d's frame starts at s->off. */
AS_INLINE int as_h2_payload(struct as_conn *c, struct as_scratch *s, struct as_h2_dir *d, struct as_h2_win *w)
{
	d->left = d->frame - d->padlen;
	d->phase = AS_H2P_BODY;
	if (d->type == AS_H2_HEADERS || d->type == AS_H2_PUSH_PROMISE) {
		d->block = 1;
		d->first = 1;
		d->block_flags = d->type == AS_H2_PUSH_PROMISE ? AS_H2R_PUSH
				 : (d->flags & AS_H2_END_STREAM) ? AS_H2R_END_STREAM
								  : 0;
		if (d->type == AS_H2_HEADERS)
			as_h2_headers(c, s, d);
	}
	if (!d->left) /* an empty payload ends at once, even at the buffer's end */
		as_h2_payload_end(c, s, d, w);
	return AS_STEP_MORE;
}

/* A frame header is in d->hdr: what its payload holds, and where it starts. */
AS_INLINE int as_h2_frame(struct as_conn *c, struct as_scratch *s, struct as_h2_dir *d, struct as_h2_win *w)
{
	struct as_h2_head h = as_h2_head_of(d->hdr);
	__u32 pad = (h.flags & AS_H2_PADDED) ? 1 : 0, need = 0;

	/* a header block is one HEADERS or PUSH_PROMISE and its CONTINUATION
	 * frames, with no other frame between them (RFC 9113 6.10) */
	if (d->block != (h.type == AS_H2_CONTINUATION) || (c->h2_mid && !as_h2_plausible(h)))
		return as_h2_lost();
	d->type = h.type;
	d->flags = h.flags;
	d->stream = h.stream;
	d->frame = h.len;
	d->padlen = 0;
	switch (h.type) {
	case AS_H2_DATA:
		need = pad;
		break;
	case AS_H2_HEADERS:
		need = pad + ((h.flags & AS_H2_PRIO) ? 5 : 0);
		break;
	case AS_H2_PUSH_PROMISE:
		need = pad + 4;
		break;
	case AS_H2_RST_STREAM:
		need = 4;
		break;
	}
	if (need > h.len)
		return as_h2_lost();
	d->need = need;
	if (need) {
		d->phase = AS_H2P_FIELDS;
		return AS_STEP_MORE;
	}
	return as_h2_payload(c, s, d, w);
}

/* The fixed fields of d's frame are in d->hdr. */
AS_INLINE int as_h2_fields(struct as_conn *c, struct as_scratch *s, struct as_h2_dir *d, struct as_h2_win *w)
{
	__u32 pad = 0;

	d->frame -= d->need;
	if (d->type == AS_H2_RST_STREAM) {
		__u32 code = (__u32)d->hdr[2] << 8 | d->hdr[3];

		if (c->role != AS_ROLE_UNKNOWN)
			as_h2_finish(c, s, d->stream, (__u32)AS_ERR_H2_RESET << 16 | code);
	} else if (d->flags & AS_H2_PADDED) {
		pad = d->hdr[0];
	}
	if (pad > d->frame)
		return as_h2_lost();
	d->padlen = pad;
	return as_h2_payload(c, s, d, w);
}

/*
 * One framing step of the buffer being fed, from s->off: (part of) a frame
 * header or of its fixed fields, a payload part, or padding. A global
 * function: the verifier checks it once.
 */
AS_API int as_h2_step(struct as_conn *c, struct as_scratch *s, struct as_h2_win *w)
{
	struct as_h2_dir *d;
	__u32 off, avail, take, want, i;
	const __u8 *win;

	if (!c || !s || !w)
		return AS_STEP_DONE;
	off = s->off;
	if (off >= s->n || c->proto != AS_PROTO_H2)
		return AS_STEP_DONE;
	d = &c->h2[s->dir_in & 1];
	avail = s->n - off;
	switch (d->phase) {
	case AS_H2P_HEAD:
	case AS_H2P_FIELDS:
		want = d->phase == AS_H2P_HEAD ? AS_H2_FRAME_HEAD : d->need;
		if (d->have >= want || want > AS_H2_FRAME_HEAD)
			return as_h2_lost();
		take = as_min(want - d->have, avail);
		if (!as_h2_ahead(s, w, off, take))
			return AS_STEP_DONE;
		win = w->b + ((off - w->off) & (AS_H2_RA - 1));
		for (i = 0; i < AS_H2_FRAME_HEAD; i++) {
			__u32 at = d->have + i;

			if (i >= take || at >= AS_H2_FRAME_HEAD)
				break;
			d->hdr[at] = win[i];
		}
		d->have += take;
		s->off = off + take;
		if (d->have < want)
			return AS_STEP_DONE; /* the rest comes in the next read */
		d->have = 0;
		d->seen = 1;
		return d->phase == AS_H2P_HEAD ? as_h2_frame(c, s, d, w) : as_h2_fields(c, s, d, w);
	case AS_H2P_BODY:
		take = as_min(d->left, avail);
		if (d->block) {
			take = as_min(take, AS_H2_CHUNK);
			if (take)
				as_h2_block(c, s, w, off, take, as_h2_block_flags(c, s, d, take == d->left));
			d->first = 0;
		} else if (AS_GENAI_ON && d->type == AS_H2_DATA && take) {
			as_hook_h2_body(c, s, off, take);
		}
		d->left -= take;
		s->off = off + take;
		if (!d->left)
			as_h2_payload_end(c, s, d, w);
		return AS_STEP_MORE;
	default: /* padding */
		take = as_min(d->left, avail);
		d->left -= take;
		s->off = off + take;
		if (!d->left)
			d->phase = AS_H2P_HEAD;
		return AS_STEP_MORE;
	}
}

struct as_h2_loop {
	struct as_conn *c;
	struct as_scratch *s;
	int r;
	struct as_h2_win w;
};

static long as_h2_loop_step(__u64 k, void *vctx)
{
	struct as_h2_loop *x = (struct as_h2_loop *)vctx;

	x->r = as_h2_step(x->c, x->s, &x->w);
	return x->r != AS_STEP_MORE || x->s->off >= x->s->n;
}

/* Feed the buffer at s->ubuf from s->off to the framer. Returns 0, or -1 if
 * the connection's frames are lost (it is forgotten, and found again at a
 * read that starts with a frame). */
AS_API int as_h2_feed(struct as_conn *c, struct as_scratch *s)
{
	struct as_h2_loop x;
	__u32 i;

	if (!c || !s)
		return -1;
	x.c = c;
	x.s = s;
	x.r = AS_STEP_DONE;
	/* The client's preface where its frames begin: after an h2c upgrade the
	 * server's frames may come first; and a server sends its SETTINGS before
	 * it reads the preface, which made the connection look seen from its
	 * middle, when this says it is the start after all. */
	if (!c->h2[s->dir_in & 1].seen && s->off + AS_H2_PREFACE_LEN <= s->n &&
	    !AS_READ_USER(s->w.b, AS_H2_PREFACE_LEN, s->ubuf + s->off) &&
	    as_h2_is_preface(s->w.b, AS_H2_PREFACE_LEN)) {
		if (c->h2_mid) {
			c->h2_mid = 0;
			as_learn_role(c, s->dir_in ? AS_ROLE_SERVER : AS_ROLE_CLIENT);
		}
		s->off += AS_H2_PREFACE_LEN;
	}
	x.w.off = 0;
	x.w.len = 0;
	/* most buffers are one frame (its header, then its payload): two steps
	 * called here cost less than the loop helper */
	x.r = AS_STEP_MORE;
	for (i = 0; i < 2 && x.r == AS_STEP_MORE && s->off < s->n; i++)
		x.r = as_h2_step(c, s, &x.w);
	if (x.r == AS_STEP_MORE && s->off < s->n)
		AS_LOOP(AS_H2_MAX_STEPS - 2, as_h2_loop_step, &x);
	if (x.r == AS_STEP_MORE && s->off < s->n)
		x.r = as_h2_lost(); /* more frames in one buffer than the loop takes */
	return x.r == AS_STEP_NOT_HTTP ? -1 : 0;
}

#endif
