/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * HTTP/1.x start lines: recognising a request line or a status line in a
 * window of bytes (strictly, so that other protocols are not taken for
 * HTTP), the look at a connection's first bytes, and joining a start line
 * cut across reads.
 */
#ifndef APISCOPE_HTTP1_START_H
#define APISCOPE_HTTP1_START_H

#include "parse_base.h"

#define AS_MAX_METHOD_LEN 20

enum as_msg_kind {
	AS_MSG_NONE = 0,
	AS_MSG_REQUEST = 1,
	AS_MSG_RESPONSE = 2,
};

struct as_start {
	__u16 status;
	__u16 path_off;
	__u16 path_len;
	__u16 head_from; /* where the head scan starts: the rest of the start line */
	__u16 avail;    /* bytes parsed */
	__u8 kind;      /* enum as_msg_kind */
	__u8 method;    /* enum as_method */
	__u8 more;      /* AS_MSG_NONE so far, but what came may begin a start line */
	__u8 version;   /* enum as_version, AS_VER_UNKNOWN if the line was cut before it */
	__u8 pad[2];
};

AS_INLINE __u8 as_method_from_token(const __u8 *t, __u32 len)
{
	/* Compare as one little-endian word: cheaper than a string table in BPF. */
	__u64 v = 0;
	__u32 i;

	if (len > 7)
		return AS_METHOD_OTHER;
	for (i = 0; i < 7; i++)
		if (i < len)
			v |= (__u64)t[i] << (8 * i);
#define AS_W(a, b, c, d, e, f, g)                                                          \
	((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24 | (__u64)(e) << 32 | \
	 (__u64)(f) << 40 | (__u64)(g) << 48)
	if (v == AS_W('G', 'E', 'T', 0, 0, 0, 0))
		return AS_METHOD_GET;
	if (v == AS_W('H', 'E', 'A', 'D', 0, 0, 0))
		return AS_METHOD_HEAD;
	if (v == AS_W('P', 'O', 'S', 'T', 0, 0, 0))
		return AS_METHOD_POST;
	if (v == AS_W('P', 'U', 'T', 0, 0, 0, 0))
		return AS_METHOD_PUT;
	if (v == AS_W('D', 'E', 'L', 'E', 'T', 'E', 0))
		return AS_METHOD_DELETE;
	if (v == AS_W('C', 'O', 'N', 'N', 'E', 'C', 'T'))
		return AS_METHOD_CONNECT;
	if (v == AS_W('O', 'P', 'T', 'I', 'O', 'N', 'S'))
		return AS_METHOD_OPTIONS;
	if (v == AS_W('T', 'R', 'A', 'C', 'E', 0, 0))
		return AS_METHOD_TRACE;
	if (v == AS_W('P', 'A', 'T', 'C', 'H', 0, 0))
		return AS_METHOD_PATCH;
#undef AS_W
	return AS_METHOD_OTHER;
}

/* "HTTP/1.0" or "HTTP/1.1" at w[off]. */
AS_INLINE int as_is_version(const struct as_window *w, __u32 off, __u32 n)
{
	const __u8 *b = w->b;

	if (off + 8 > n || off + 8 > AS_WINDOW)
		return 0;
	return b[off & AS_WMASK] == 'H' && b[(off + 1) & AS_WMASK] == 'T' &&
	       b[(off + 2) & AS_WMASK] == 'T' && b[(off + 3) & AS_WMASK] == 'P' &&
	       b[(off + 4) & AS_WMASK] == '/' && b[(off + 5) & AS_WMASK] == '1' &&
	       b[(off + 6) & AS_WMASK] == '.' &&
	       (b[(off + 7) & AS_WMASK] == '0' || b[(off + 7) & AS_WMASK] == '1');
}

/*
 * The parsers below keep each byte loop in a global function of its own whose
 * exits return at once, and pass results through memory (*s): the verifier
 * then checks the code after a loop once, not once per byte the loop could
 * have stopped at.
 */

/* From s->path_off, find the space that ends the target (kept in s->path_len
 * for now). -1: a CR, LF or NUL inside the target. A word at a time: API
 * paths run to dozens of bytes. */
AS_API int as_scan_target(const struct as_window *w, struct as_start *s)
{
	__u32 from, n, nw;
	AS_ITER it;
	int *v, r = 0;

	if (!w || !s)
		return -1;
	from = s->path_off;
	n = s->avail;
	if (n > AS_WINDOW)
		n = AS_WINDOW;
	nw = (n + 7) / 8;
	AS_ITER_NEW(&it, from / 8, nw);
	while ((v = AS_ITER_NEXT(&it))) {
		__u32 idx = *v, base = idx * 8, at;
		__u64 x, m;

		if (idx >= AS_WINDOW / 8)
			break;
		x = as_word(w, idx);
		m = as_bytes_eq(x, ' ') | as_bytes_eq(x, '\r') | as_bytes_eq(x, '\n') | as_bytes_eq(x, 0);
		if (base < from)
			m &= ~as_low_bytes(from - base);
		if (n - base < 8)
			m &= as_low_bytes(n - base);
		if (!m)
			continue;
		at = base + as_lowest_byte(m);
		if (as_byte(w, at) == ' ')
			s->path_len = at;
		else
			r = -1; /* HTTP/0.9 or garbage */
		break;
	}
	AS_ITER_DESTROY(&it);
	return r;
}

/* Judge a request line from what as_scan_target found. */
AS_API int as_finish_request(const struct as_window *w, struct as_start *s)
{
	__u32 sp, n;

	if (!w || !s)
		return AS_MSG_NONE;
	sp = s->path_len;
	n = s->avail;
	if (sp) {
		/* " HTTP/1.x" then the end of the line, unless they have not arrived yet */
		if (sp + 9 <= n && !as_is_version(w, sp + 1, n))
			return AS_MSG_NONE;
		if (sp + 10 <= n && w->b[(sp + 9) & AS_WMASK] != '\r' && w->b[(sp + 9) & AS_WMASK] != '\n')
			return AS_MSG_NONE;
		if (sp + 10 > n && n < AS_PARTIAL_MAX) {
			s->more = 1; /* a short line cut before its end: wait for it */
			return AS_MSG_NONE;
		}
		if (sp + 9 <= n)
			s->version = w->b[(sp + 8) & AS_WMASK] == '0' ? AS_VER_1_0 : AS_VER_1_1;
		s->path_len = sp - s->path_off;
		s->head_from = sp + 1;
	} else {
		/* The target runs past what we have: wait for the rest of a short
		 * line; take a long one as a request only for a standard method (a
		 * random token needs its version to be believed). */
		if (n < AS_PARTIAL_MAX) {
			s->more = 1;
			return AS_MSG_NONE;
		}
		if (s->method == AS_METHOD_OTHER || n <= s->path_off)
			return AS_MSG_NONE;
		s->path_len = n - s->path_off;
		s->head_from = n;
	}
	s->kind = AS_MSG_REQUEST;
	return AS_MSG_REQUEST;
}

#define AS_FIRST_BYTES 8 /* what as_could_start_http looks at */

/*
 * Could the first n bytes (at most AS_FIRST_BYTES) of a connection's traffic
 * start an HTTP/1 message? A look taken before a connection is tracked, so
 * that a binary protocol whose messages start with an uppercase letter
 * (PostgreSQL's 'Q', 'P', 'T', 'D', ...) is turned away at the cost of one
 * small copy, not a connection entry made and dropped on every message.
 * Never refuses what as_parse_start would take: "HTTP/", or a method token
 * (uppercase, '-', '_') followed by a space or not yet ended.
 */
AS_INLINE int as_could_start_http(const __u8 *b, __u32 n)
{
	__u32 i;

	if (!n || b[0] < 'A' || b[0] > 'Z')
		return 0;
	for (i = 1; i < AS_FIRST_BYTES; i++) {
		__u8 c;

		if (i >= n)
			break;
		c = b[i];
		if (c == ' ')
			return 1;
		if (c == '/')
			return i == 4 && b[0] == 'H' && b[1] == 'T' && b[2] == 'T' && b[3] == 'P';
		if (!((c >= 'A' && c <= 'Z') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

/*
 * Recognise a request line or a status line at the start of w[0..n).
 * Recognition is strict so that arbitrary bytes (TLS, HTTP/2, binary
 * protocols) are not taken for HTTP: a request needs an uppercase token, one
 * space, a target starting with '/', '*' or a scheme, and, unless the line is
 * longer than what we have, " HTTP/1.x" and the end of the line after it.
 * The rest of the start line, from s->head_from, is left to the head scan.
 */
AS_API int as_parse_start(const struct as_window *w, __u32 n, struct as_start *s)
{
	const __u8 *b;
	__u32 i, mlen = 0;

	if (!w || !s)
		return AS_MSG_NONE;
	b = w->b;
	__builtin_memset(s, 0, sizeof(*s));
	if (n > AS_WINDOW)
		n = AS_WINDOW;
	s->avail = n;
	if (n < 5) {
		s->more = 1; /* judged once more has come */
		return AS_MSG_NONE;
	}

	if (n < 8 && b[0] == 'H') {
		/* "HTTP/1." cut short: a status line may follow */
		__u32 j, ok = 1;

		for (j = 0; j < 7; j++)
			if (j < n && b[j] != ((0x002e312f50545448ULL >> (8 * j)) & 0xff))
				ok = 0;
		if (ok) {
			s->more = 1;
			return AS_MSG_NONE;
		}
	}
	if (as_is_version(w, 0, n)) {
		if (n < 12) {
			s->more = n < 9 || b[8] == ' ';
			return AS_MSG_NONE;
		}
		if (b[8] != ' ')
			return AS_MSG_NONE;
		if (b[9] < '1' || b[9] > '5' || b[10] < '0' || b[10] > '9' || b[11] < '0' ||
		    b[11] > '9')
			return AS_MSG_NONE;
		if (n > 12 && b[12] != ' ' && b[12] != '\r' && b[12] != '\n')
			return AS_MSG_NONE;
		s->status = (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
		s->version = b[7] == '0' ? AS_VER_1_0 : AS_VER_1_1;
		s->head_from = 12; /* the head scan skips the reason phrase */
		s->kind = AS_MSG_RESPONSE;
		return AS_MSG_RESPONSE;
	}

	for (i = 0; i <= AS_MAX_METHOD_LEN; i++) {
		__u8 c;

		if (i >= n) {
			s->more = 1; /* a method cut short */
			return AS_MSG_NONE;
		}
		c = b[i];
		if (c == ' ')
			break;
		/* a method starts with a letter, as as_could_start_http wants */
		if (!((c >= 'A' && c <= 'Z') || (i && (c == '-' || c == '_'))))
			return AS_MSG_NONE;
		mlen++;
	}
	if (mlen == 0 || mlen > AS_MAX_METHOD_LEN)
		return AS_MSG_NONE;
	if (mlen + 1 >= n) {
		s->more = 1; /* the method and its space, the target to come */
		return AS_MSG_NONE;
	}
	{
		__u8 t = b[(mlen + 1) & AS_WMASK];

		if (t != '/' && t != '*' && !(t >= 'a' && t <= 'z'))
			return AS_MSG_NONE;
	}
	s->method = as_method_from_token(b, mlen);
	s->path_off = mlen + 1;
	if (as_scan_target(w, s) < 0)
		return AS_MSG_NONE;
	return as_finish_request(w, s);
}

/* Put p's bytes in front of the n bytes in w; returns the new length. The
 * shift goes through AS_LOOP: a plain loop of this length would cost the
 * verifier more than the whole parser. */
struct as_shift_ctx {
	struct as_window *w;
	__u32 n;
	__u32 plen;
};

static long as_shift_step(__u64 k, void *vctx)
{
	struct as_shift_ctx *x = (struct as_shift_ctx *)vctx;
	__u32 i;

	if (k >= x->n)
		return 1;
	i = x->n - 1 - (__u32)k; /* from the end: the ranges overlap */
	x->w->b[(i + x->plen) & AS_WMASK] = x->w->b[i & AS_WMASK];
	return 0;
}

AS_API int as_prepend(struct as_window *w, __u32 n, const struct as_partial *p)
{
	struct as_shift_ctx x;
	__u32 plen;

	if (!w || !p)
		return 0;
	plen = p->len;
	if (plen > AS_PARTIAL_MAX)
		plen = AS_PARTIAL_MAX;
	if (n > AS_WINDOW - plen)
		n = AS_WINDOW - plen;
	x.w = w;
	x.n = n;
	x.plen = plen;
	AS_LOOP(AS_WINDOW, as_shift_step, &x);
	plen = as_mask(plen, 2 * AS_PARTIAL_MAX - 1);
	if (plen && plen <= AS_PARTIAL_MAX)
		AS_COPY(w->b, plen, p->b);
	return plen + n;
}

#endif
