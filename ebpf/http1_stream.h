/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-connection HTTP/1.x framing: the bytes a process reads (in) and writes
 * (out) are two streams, each framed message by message (start line, head,
 * body by Content-Length, chunked or close-delimited) by a loop of steps.
 * What a message means for the connection is in http1_match.h. Everything
 * the parsers need of their environment is in parser_env.h, so the kernel
 * and the unit tests run the same code on the same bytes.
 */
#ifndef APISCOPE_HTTP1_STREAM_H
#define APISCOPE_HTTP1_STREAM_H

#include "http1_chunked.h"
#include "http1_head.h"
#include "http1_match.h"
#include "http2_stream.h" /* the preface turns a connection to HTTP/2 */

/* Bytes that may begin a start line, and are all this buffer has left:
 * kept for the next read. Returns 1 if kept. */
AS_INLINE int as_keep_partial(struct as_scratch *s, struct as_stream *st, __u32 wl, __u64 first_ns)
{
	struct as_partial *p;

	if (!s->st.more || wl >= AS_PARTIAL_MAX)
		return 0;
	p = AS_PARTIAL_GET(s, 1);
	if (!p)
		return 0;
	AS_COPY(p->b, AS_PARTIAL_MAX, s->w.b);
	p->len = wl;
	p->first_ns = first_ns;
	st->partial = 1;
	return 1;
}

/* as_feed_start's answers besides a head end (>= 0) or -1 (the head goes on). */
#define AS_FEED_STOP (-2)    /* nothing more to do with this buffer */
#define AS_FEED_NOT_HTTP (-3) /* a connection's first bytes, and not HTTP */
#define AS_FEED_SCAN (-4)     /* started: scan the head from s->st.head_from */
#define AS_FEED_H2 (-5)       /* the HTTP/2 client preface */

/*
 * A message should start at s->ubuf + off (s->wl bytes of window): parse its
 * start line (with what an earlier read left of it) and record its start;
 * the caller scans its head (calls nest at most 8 deep in BPF). A global
 * function: the verifier checks it once, apart from the framing loop of
 * as_feed. Sets s->wl and s->plen (bytes of the window that came from an
 * earlier read).
 */
AS_API int as_feed_start(struct as_conn *c, struct as_scratch *s, __u32 off)
{
	struct as_stream *st;
	__u64 first_ns, now;
	__u32 wl, plen = 0;

	if (!c || !s)
		return AS_FEED_STOP;
	st = as_stream_of(c, s->dir_in);
	wl = s->wl;
	if (wl > AS_WINDOW)
		wl = AS_WINDOW;
	s->plen = 0;
	if (AS_READ_USER(s->w.b, wl, s->ubuf + off))
		return AS_FEED_STOP;
	first_ns = s->now;
	if (st->partial) {
		/* the start of this line came in an earlier read */
		struct as_partial *p = AS_PARTIAL_GET(s, 0);

		st->partial = 0;
		if (p && p->len < AS_PARTIAL_MAX) {
			plen = p->len;
			first_ns = p->first_ns;
			wl = as_prepend(&s->w, wl, p);
		}
	}
	s->wl = wl;
	s->plen = plen;
	if (as_parse_start(&s->w, wl, &s->st) == AS_MSG_NONE) {
		/* HTTP/1 parses first: the preface costs HTTP/1 nothing */
		if (AS_H2_ON && c->role == AS_ROLE_UNKNOWN) {
			if (as_h2_is_preface(s->w.b, wl))
				return AS_FEED_H2;
			if (wl < AS_H2_PREFACE_LEN && as_h2_preface_prefix(s->w.b, wl))
				s->st.more = 1; /* its rest comes in the next read */
		}
		if (off + wl - plen >= s->n && as_keep_partial(s, st, wl, first_ns))
			return AS_FEED_STOP;
		if (c->role == AS_ROLE_UNKNOWN)
			return AS_FEED_NOT_HTTP;
		as_hook_count(AS_CNT_NOT_HTTP);
		return AS_FEED_STOP;
	}
	/* a message starts with its first byte: s->now is that time until its
	 * start is recorded */
	now = s->now;
	s->now = first_ns;
	if (as_on_start(c, s, st)) {
		s->now = now;
		as_hook_count(AS_CNT_FRAMING_LOST);
		return AS_FEED_STOP;
	}
	st->kind = s->st.kind;
	st->phase = AS_PH_HEAD;
	st->head_bytes = 0;
	as_head_reset(&st->head);
	st->head.state = AS_HS_SKIP; /* the rest of the start line */
	st->head.cdir = st->kind == AS_MSG_RESPONSE;
	/* where its captured headers go, if anywhere: the caller starts the
	 * entry (one map lookup per head, not one here and one there); s->genai:
	 * as_on_start found the message's route is an LLM/MCP one */
	st->cap_slot = AS_CAP_NONE;
	if ((AS_CAPTURE_ON || (AS_GENAI_ON && s->genai)) && !st->untracked && !st->interim)
		st->cap_slot = st->kind == AS_MSG_REQUEST ? (c->q_head + c->q_len - 1) & (AS_PIPELINE - 1)
							  : AS_CAP_SLOT_RESP;
	s->msg_ns = first_ns;
	s->now = now;
	return AS_FEED_SCAN;
}


/*
 * One framing step of the buffer being fed, from s->off: a start line and
 * head, a head's continuation, body bytes or a chunk line. A global function
 * so that the verifier checks it once, not once per step of as_feed's loop
 * and per path into it.
 */
AS_API int as_feed_step(struct as_conn *c, struct as_scratch *s)
{
	struct as_hdr_vals *cap;
	struct as_stream *st;
	__u32 off, n, plen = 0, avail, wl;
	int r;

	if (!c || !s)
		return AS_STEP_DONE;
	off = s->off;
	n = s->n;
	if (off >= n || c->role == AS_ROLE_OFF)
		return AS_STEP_DONE;
	st = as_stream_of(c, s->dir_in);
	avail = n - off;
	wl = as_min(avail, AS_WINDOW);
	switch (st->phase) {
	case AS_PH_IDLE:
		s->wl = wl;
		r = as_feed_start(c, s, off);
		if (r == AS_FEED_NOT_HTTP)
			return AS_STEP_NOT_HTTP;
		if (r == AS_FEED_H2) {
			/* who sends the preface is the client */
			as_h2_begin(c, s->dir_in ? AS_ROLE_SERVER : AS_ROLE_CLIENT, 0);
			s->off = off + AS_H2_PREFACE_LEN - s->plen;
			return AS_STEP_H2;
		}
		if (r != AS_FEED_SCAN)
			return AS_STEP_DONE;
		wl = s->wl;
		plen = s->plen;
		cap = 0;
		if ((AS_CAPTURE_ON || AS_GENAI_ON) && st->cap_slot != AS_CAP_NONE) {
			cap = AS_CAP_START(s, st->cap_slot, s->msg_ns);
			if (!cap)
				st->cap_slot = AS_CAP_NONE;
			else if (st->kind == AS_MSG_REQUEST)
				as_cap_path(cap, &s->w, s->st.path_off, s->st.path_len);
		}
		r = as_scan_head(&st->head, &s->w, s->st.head_from, wl, cap);
		break;
	case AS_PH_HEAD:
	case AS_PH_TRAILER:
		if (AS_READ_USER(s->w.b, wl, s->ubuf + off))
			return AS_STEP_DONE;
		cap = 0;
		if ((AS_CAPTURE_ON || AS_GENAI_ON) && st->phase == AS_PH_HEAD &&
		    st->cap_slot != AS_CAP_NONE)
			cap = AS_CAP_FIND(s, st->cap_slot);
		r = as_scan_head(&st->head, &s->w, 0, wl, cap);
		break;
	case AS_PH_BODY_LEN:
	case AS_PH_CHUNK_DATA: {
		__u32 take = as_min(st->remaining, avail);

		if (AS_GENAI_ON)
			as_hook_body(c, s, off, take);
		s->off = off + take;
		st->remaining -= take;
		st->body += take;
		if (st->remaining)
			return AS_STEP_DONE;
		if (st->phase == AS_PH_CHUNK_DATA)
			st->phase = AS_PH_CHUNK_CR;
		else
			as_on_msg_done(c, s, st);
		return AS_STEP_MORE;
	}
	case AS_PH_BODY_CLOSE:
		if (AS_GENAI_ON)
			as_hook_body(c, s, off, avail);
		st->body += avail;
		return AS_STEP_DONE;
	default: /* chunk-size line or CRLF */
		wl = as_min(avail, AS_CHUNK_WINDOW);
		if (AS_READ_USER(s->w.b, wl, s->ubuf + off))
			return AS_STEP_DONE;
		r = as_scan_chunk(st, &s->w, wl);
		if (r < 0) {
			as_stream_lost(c, s, st, AS_CNT_FRAMING_LOST);
			return AS_STEP_DONE;
		}
		s->off = off + r;
		return AS_STEP_MORE;
	}
	/* a head (or trailer) was scanned: r is where it ended, or -1; the
	 * first plen bytes of the window were kept from an earlier read */
	if (r < 0) {
		s->off = off + wl - plen;
		st->head_bytes += wl;
		if (st->head_bytes > AS_MAX_HEAD)
			as_stream_lost(c, s, st, AS_CNT_HEAD_TOO_LONG);
		return AS_STEP_MORE;
	}
	s->off = off + r - plen;
	if (st->phase == AS_PH_TRAILER)
		as_on_msg_done(c, s, st);
	else
		as_on_head_done(c, s, st);
	return AS_STEP_MORE;
}

/* Bytes moved without a user buffer (sendfile) or past the iovecs we copy:
 * they can only be body bytes. */
AS_INLINE void as_h1_opaque(struct as_conn *c, struct as_scratch *s, struct as_stream *st, __u64 n)
{
	if (st->phase == AS_PH_BODY_CLOSE) {
		st->body += n;
	} else if ((st->phase == AS_PH_BODY_LEN || st->phase == AS_PH_CHUNK_DATA) &&
		   n <= st->remaining) {
		st->body += n;
		st->remaining -= n;
		if (st->remaining)
			return;
		if (st->phase == AS_PH_CHUNK_DATA)
			st->phase = AS_PH_CHUNK_CR;
		else
			as_on_msg_done(c, s, st);
	} else if (st->phase != AS_PH_IDLE) {
		as_stream_lost(c, s, st, AS_CNT_FRAMING_LOST);
	}
}

/* Close-delimited bodies end at EOF (read returns 0) or close. */
AS_INLINE void as_h1_eof(struct as_conn *c, struct as_scratch *s, __u32 dir_in)
{
	struct as_stream *st = as_stream_of(c, dir_in);

	if (st->phase == AS_PH_BODY_CLOSE)
		as_on_msg_done(c, s, st);
}

/* Has a closing connection anything to finish (as_h1_close)? Most closes
 * come after the last response: they need no clock read and no scratch. */
AS_INLINE int as_h1_in_flight(const struct as_conn *c)
{
	return c->q_len || c->upgrade || c->in.phase == AS_PH_BODY_CLOSE || c->out.phase == AS_PH_BODY_CLOSE;
}

/* The connection is closing: finish close-delimited bodies and record the
 * requests that never got a response. */
AS_INLINE void as_h1_close(struct as_conn *c, struct as_scratch *s)
{
	__u32 i;

	as_h1_eof(c, s, 0);
	as_h1_eof(c, s, 1);
	if (c->upgrade) { /* a 101 and then nothing: the exchange was the 101 */
		c->role = c->upgrade;
		c->upgrade = 0;
		as_record_pending(c, s, 101, 0, c->resp_first_ns, AS_ERR_NONE);
		c->role = AS_ROLE_OFF;
		return;
	}
	if (c->role != AS_ROLE_SERVER && c->role != AS_ROLE_CLIENT)
		return;
	as_record_deferred(c, s);
	for (i = 0; i < AS_PIPELINE; i++) {
		if (!c->q_len)
			break;
		as_record_pending(c, s, 0, 0, s->now, AS_ERR_CONN_CLOSED);
	}
}

#endif
