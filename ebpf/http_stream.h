/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-connection HTTP/1.x framing and request/response matching.
 *
 * A connection has two byte streams: what the process reads (in) and what it
 * writes (out). Each stream is framed message by message (start line, head,
 * body by Content-Length, chunked or close-delimited; RFC 9112 6.3). The side
 * that reads a request line is the server, the side that writes one the
 * client. Requests queue up (pipelining) and each response is matched to the
 * oldest one; when the response is complete, one record is handed to
 * as_hook_record().
 *
 * Pure C: the includer defines AS_READ_USER(dst, len, src) (0 on success),
 * AS_CAPTURE_ON (header capture configured), AS_CAP_START(s, slot, start_ns)
 * and AS_CAP_FIND(s, slot) (the struct as_hdr_vals of a capture slot of the
 * connection s->key, reset for a message that started at start_ns or as it
 * is; NULL if none),
 * AS_PARTIAL_GET(s, create) (the struct as_partial of the stream being fed,
 * created if asked; NULL if none), AS_GENAI_ON (LLM/MCP routes configured),
 * AS_GENAI_GET(s, slot, start_ns, create) (the struct as_genai_call of a
 * request slot of s->key for the request that started at start_ns, reset if
 * it was another's; NULL if none) and the hooks declared below, so the kernel
 * and the unit tests run the same code on the same bytes.
 */
#ifndef APISCOPE_HTTP_STREAM_H
#define APISCOPE_HTTP_STREAM_H

#include "http_parse.h"

#define AS_PIPELINE 8      /* requests awaiting a response per connection (power of 2) */
#define AS_MAX_ITEMS 16    /* framing steps per syscall buffer */
#define AS_MAX_HEAD 16384  /* longer heads are given up on */
#define AS_CHUNK_WINDOW 64 /* bytes copied to read a chunk-size line */

#ifndef AS_GENAI_ON
#define AS_GENAI_ON 0
#endif

enum as_phase {
	AS_PH_IDLE = 0, /* expecting a start line */
	AS_PH_HEAD,
	AS_PH_BODY_LEN,
	AS_PH_BODY_CLOSE,
	AS_PH_CHUNK_SIZE,
	AS_PH_CHUNK_EXT,
	AS_PH_CHUNK_DATA,
	AS_PH_CHUNK_CR,
	AS_PH_CHUNK_LF,
	AS_PH_TRAILER,
};

enum as_role {
	AS_ROLE_UNKNOWN = 0,
	AS_ROLE_SERVER,
	AS_ROLE_CLIENT,
	AS_ROLE_OFF, /* upgraded (101, CONNECT): no longer HTTP/1 */
};

struct as_stream {
	__u64 remaining; /* body or chunk bytes still to come */
	__u64 body;      /* body bytes of the current message so far */
	__u32 head_bytes;
	__u8 phase;
	__u8 kind;      /* enum as_msg_kind of the current message */
	__u8 interim;   /* a 1xx response: not the final one */
	__u8 untracked; /* framed but not recorded (queue full, unmatched) */
	__u8 cap_slot;  /* where the head's captured headers go, or AS_CAP_NONE */
	__u8 partial;   /* a start line cut short waits in AS_PARTIAL_GET */
	__u8 pad[6];
	struct as_head_scan head;
};

struct as_pending {
	__u64 start_ns;
	__u64 route_id;
	__u64 req_bytes;
	__u8 method;
	__u8 genai; /* its route's genai value (AS_GENAI_NONE: not an LLM/MCP route) */
	__u8 pad[6];
};

struct as_conn {
	struct as_stream in, out;
	struct as_pending q[AS_PIPELINE];
	__u64 resp_first_ns;
	__u64 deferred_bytes; /* a response that came before its request's body ended */
	__u8 peer_addr[16];
	char comm[AS_COMM_LEN];
	__u16 peer_port;
	__u16 local_port;
	__u16 resp_status;
	__u8 q_head;
	__u8 q_len;
	__u8 role;
	__u8 resp_active;
	__u8 tls; /* fed by the OpenSSL uprobes: the socket's own bytes are ciphertext */
	__u8 deferred; /* deferred_status/bytes wait for the request body to end */
	__u16 deferred_status;
	__u8 target_genai; /* the genai value of target_route */
	__u8 pad;
	__u64 target_hash;  /* the last request target's as_target_hash, 0 if none */
	__u64 target_route; /* and the route id it got */
};

/* One finished request/response pair. */
struct as_record {
	__u64 duration_ns;
	__u64 route_id;
	__u64 req_bytes;
	__u64 resp_bytes;
	__u64 start_ns;      /* of the request: tells its capture slot's entry is its own */
	__u64 resp_start_ns; /* of the response, 0 if none came */
	__u16 status;
	__u8 method;
	__u8 error;
	__u8 slot; /* the request's capture slot */
	__u8 genai;
	__u8 pad[2];
};

/* The route a request target of a service got last (as_request_route). */
struct as_route_memo {
	__u64 target_hash; /* 0: none */
	__u64 route_id;
	__u64 comm[AS_COMM_LEN / 8];
	__u32 genai;
	__u32 pad;
};

/* Per-CPU working memory: too big for the 512-byte BPF stack. It outlives a
 * program run only for last_route. */
struct as_scratch {
	struct as_window w;
	struct as_route r;
	struct as_norm norm;
	struct as_start st;
	struct as_record rec;
	struct as_label_text lt; /* a header label value being looked up */
	__u64 ubuf; /* user address of the buffer being fed */
	__u64 now;  /* ns, when the syscall returned */
	__u32 n;    /* bytes in the buffer */
	__u32 off;  /* as_feed: where its next step starts */
	__u32 dir_in;
	__u32 wl;   /* as_feed_start: bytes in the window */
	__u32 plen; /* of which kept from an earlier read */
	__u64 msg_ns; /* as_feed_start: when the message's first byte came */
	struct as_conn_key key; /* the connection being fed */
	__u32 genai; /* as_hook_route: the route's genai value */
	struct as_route_memo last_route;
};

#ifdef __bpf__
#define AS_HOOK __attribute__((noinline))
#else
#define AS_HOOK static
#endif
/* Route id for the normalised route in s->r (applies the per-service cap);
 * sets s->genai. */
AS_HOOK __u64 as_hook_route(struct as_conn *c, struct as_scratch *s);
/* len body bytes at s->ubuf + off of the message being framed; called only
 * with AS_GENAI_ON, wraps as_genai_feed. */
AS_HOOK int as_hook_body(struct as_conn *c, struct as_scratch *s, __u32 off, __u32 len);
AS_HOOK int as_hook_record(struct as_conn *c, struct as_scratch *s); /* s->rec */
AS_HOOK int as_hook_count(__u32 counter);

AS_INLINE struct as_stream *as_stream_of(struct as_conn *c, __u32 dir_in)
{
	return dir_in ? &c->in : &c->out;
}

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

/* Chunk-size lines and the CRLF after chunk data, byte by byte so that a line
 * split between two writes is still read right. Returns bytes consumed. */
AS_API int as_scan_chunk(struct as_stream *st, const struct as_window *w, __u32 n)
{
	__u32 i;

	if (!st || !w)
		return 0;
	if (n > AS_CHUNK_WINDOW)
		n = AS_CHUNK_WINDOW;
	for (i = 0; i < AS_CHUNK_WINDOW; i++) {
		__u8 c;

		if (i >= n)
			break;
		c = w->b[i];
		switch (st->phase) {
		case AS_PH_CHUNK_SIZE:
			if (as_is_hex(c)) {
				if (st->remaining >> 56)
					return -1;
				st->remaining = (st->remaining << 4) |
						(c <= '9' ? c - '0' : as_lower(c) - 'a' + 10);
				break;
			}
			st->phase = AS_PH_CHUNK_EXT;
			/* fall through */
		case AS_PH_CHUNK_EXT:
			if (c != '\n')
				break;
			if (st->remaining) {
				st->phase = AS_PH_CHUNK_DATA;
				return i + 1;
			}
			st->phase = AS_PH_TRAILER;
			as_head_reset(&st->head);
			return i + 1;
		case AS_PH_CHUNK_CR:
			st->phase = AS_PH_CHUNK_LF;
			if (c == '\r')
				break;
			/* fall through: a bare LF */
		case AS_PH_CHUNK_LF:
			if (c != '\n')
				return -1;
			st->phase = AS_PH_CHUNK_SIZE;
			st->remaining = 0;
			break;
		default:
			return i;
		}
	}
	return i;
}

AS_INLINE __u32 as_min(__u64 a, __u64 b)
{
	return a < b ? a : b;
}

/* The message being framed on st: the request slot it belongs to, or -1 if
 * it is not recorded (untracked, interim, unmatched). */
AS_INLINE int as_msg_slot(struct as_conn *c, struct as_stream *st)
{
	if (st->untracked || !c->q_len)
		return -1;
	if (st->kind == AS_MSG_REQUEST)
		return (c->q_head + c->q_len - 1) & (AS_PIPELINE - 1);
	if (st->interim || !c->resp_active)
		return -1;
	return c->q_head & (AS_PIPELINE - 1);
}

/* Keep what the exporter needs of len body bytes at user address src, the
 * next segment of direction dir: the first AS_GENAI_HEAD bytes of the first
 * segment, and the last AS_GENAI_TAIL bytes of every later one (and of the
 * first, if longer than the head) in a ring of AS_GENAI_TAILS. */
AS_INLINE void as_genai_copy(struct as_genai_call *g, __u32 dir, __u64 src, __u32 len, __u64 now)
{
	__u32 seg, n, t;

	dir &= 1;
	seg = g->segs[dir];
	if (dir && !g->first_body_ns)
		g->first_body_ns = now;
	if (seg < 0xffff)
		g->segs[dir] = seg + 1;
	if (!seg) {
		n = as_min(len, AS_GENAI_HEAD);
		g->head_len[dir] = AS_READ_USER(g->head[dir], n, src) ? 0 : n;
		if (len <= AS_GENAI_HEAD)
			return;
	}
	t = seg & (AS_GENAI_TAILS - 1);
	n = as_min(len, AS_GENAI_TAIL);
	g->tail_len[dir][t] = AS_READ_USER(g->tail[dir][t], n, src + len - n) ? 0 : n;
	g->tail_seg[dir][t] = seg;
}

/* Body bytes of the message being framed: kept if its route is an LLM or MCP
 * one. */
AS_INLINE int as_genai_feed(struct as_conn *c, struct as_scratch *s, __u32 off, __u32 len)
{
	struct as_stream *st = as_stream_of(c, s->dir_in);
	struct as_genai_call *g;
	int slot = as_msg_slot(c, st);

	if (slot < 0 || !len || !c->q[slot & (AS_PIPELINE - 1)].genai)
		return 0;
	slot &= AS_PIPELINE - 1;
	g = AS_GENAI_GET(s, slot, c->q[slot].start_ns, 1);
	if (g)
		as_genai_copy(g, st->kind == AS_MSG_RESPONSE, s->ubuf + off, len, s->now);
	return 0;
}

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

/* as_feed_step's answers */
#define AS_STEP_MORE 1     /* go on with the next step at s->off */
#define AS_STEP_DONE 0     /* nothing more to do with this buffer */
#define AS_STEP_NOT_HTTP (-1)

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

/*
 * Feed s->n bytes at user address s->ubuf, read (s->dir_in) or written by the
 * process at time s->now, to connection c. Returns 0, or -1 if the bytes are
 * not HTTP on a connection that has not yet spoken HTTP.
 */
AS_API int as_feed(struct as_conn *c, struct as_scratch *s)
{
	__u32 i;
	int r;

	if (!c || !s)
		return -1;
	s->off = 0;
	for (i = 0; i < AS_MAX_ITEMS; i++) {
		r = as_feed_step(c, s);
		if (r != AS_STEP_MORE)
			return r == AS_STEP_NOT_HTTP ? -1 : 0;
	}
	if (s->off < s->n)
		as_stream_lost(c, s, as_stream_of(c, s->dir_in), AS_CNT_TOO_MANY_ITEMS);
	return 0;
}

/* Bytes moved without a user buffer (sendfile) or past the iovecs we copy:
 * they can only be body bytes. */
AS_INLINE void as_feed_opaque(struct as_conn *c, struct as_scratch *s, struct as_stream *st,
			      __u64 n)
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
AS_INLINE void as_stream_eof(struct as_conn *c, struct as_scratch *s, __u32 dir_in)
{
	struct as_stream *st = as_stream_of(c, dir_in);

	if (st->phase == AS_PH_BODY_CLOSE)
		as_on_msg_done(c, s, st);
}

/* Has a closing connection anything to finish (as_conn_close)? Most closes
 * come after the last response: they need no clock read and no scratch. */
AS_INLINE int as_conn_in_flight(const struct as_conn *c)
{
	return c->q_len || c->in.phase == AS_PH_BODY_CLOSE || c->out.phase == AS_PH_BODY_CLOSE;
}

/* The connection is closing: finish close-delimited bodies and record the
 * requests that never got a response. */
AS_INLINE void as_conn_close(struct as_conn *c, struct as_scratch *s)
{
	__u32 i;

	as_stream_eof(c, s, 0);
	as_stream_eof(c, s, 1);
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
