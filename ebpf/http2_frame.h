/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * HTTP/2 on the wire (RFC 9113): the client connection preface, the 9-byte
 * frame header, and the looks that tell a connection's bytes are HTTP/2 when
 * apiscope sees them from the middle of a connection (no preface). Pure
 * functions of bytes.
 */
#ifndef APISCOPE_HTTP2_FRAME_H
#define APISCOPE_HTTP2_FRAME_H

#include "parse_base.h"

#define AS_H2_PREFACE_LEN 24 /* "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" */
#define AS_H2_FRAME_HEAD 9
#define AS_H2_DEFAULT_MAX_FRAME 16384

enum as_h2_type {
	AS_H2_DATA = 0,
	AS_H2_HEADERS = 1,
	AS_H2_PRIORITY = 2,
	AS_H2_RST_STREAM = 3,
	AS_H2_SETTINGS = 4,
	AS_H2_PUSH_PROMISE = 5,
	AS_H2_PING = 6,
	AS_H2_GOAWAY = 7,
	AS_H2_WINDOW_UPDATE = 8,
	AS_H2_CONTINUATION = 9,
};

enum as_h2_flag {
	AS_H2_END_STREAM = 0x1, /* DATA, HEADERS; ACK on SETTINGS and PING */
	AS_H2_END_HEADERS = 0x4,
	AS_H2_PADDED = 0x8,
	AS_H2_PRIO = 0x20,
};

struct as_h2_head {
	__u32 len;
	__u32 stream;
	__u8 type;
	__u8 flags;
};

/* The frame header in b[0..9). */
AS_INLINE struct as_h2_head as_h2_head_of(const __u8 *b)
{
	struct as_h2_head h;

	h.len = (__u32)b[0] << 16 | (__u32)b[1] << 8 | b[2];
	h.type = b[3];
	h.flags = b[4];
	h.stream = ((__u32)b[5] << 24 | (__u32)b[6] << 16 | (__u32)b[7] << 8 | b[8]) & 0x7fffffff;
	return h;
}

/* Could h be a frame of a well-behaved peer that has not raised
 * SETTINGS_MAX_FRAME_SIZE? The look that lets a connection seen from its
 * middle be taken for HTTP/2, and that keeps taking it so: binary protocols
 * and TLS records fail it in their first bytes (their length fields put a
 * large value or an unknown type where HTTP/2 has them). */
AS_INLINE int as_h2_plausible(struct as_h2_head h)
{
	if (h.type > AS_H2_CONTINUATION || h.len > AS_H2_DEFAULT_MAX_FRAME)
		return 0;
	switch (h.type) {
	case AS_H2_SETTINGS:
		return h.stream == 0 && (h.len % 6) == 0 && !((h.flags & AS_H2_END_STREAM) && h.len);
	case AS_H2_PING:
		return h.stream == 0 && h.len == 8;
	case AS_H2_GOAWAY:
		return h.stream == 0 && h.len >= 8;
	case AS_H2_WINDOW_UPDATE:
		return h.len == 4;
	case AS_H2_RST_STREAM:
		return h.stream != 0 && h.len == 4;
	case AS_H2_PRIORITY:
		return h.stream != 0 && h.len == 5;
	default: /* DATA, HEADERS, PUSH_PROMISE, CONTINUATION */
		return h.stream != 0;
	}
}

/* Does b[0..n) begin like the client connection preface, as far as it goes
 * (all of it if n >= its length)? */
AS_INLINE int as_h2_preface_prefix(const __u8 *b, __u32 n)
{
	/* "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" as three little-endian words */
	const __u64 p[3] = {0x5448202a20495250ULL, 0x0a0d302e322f5054ULL, 0x0a0d0a0d4d530a0dULL};
	__u32 i;

	for (i = 0; i < AS_H2_PREFACE_LEN; i++)
		if (i < n && b[i] != ((p[i / 8] >> (8 * (i & 7))) & 0xff))
			return 0;
	return 1;
}

/* The client connection preface at b[0..n). */
AS_INLINE int as_h2_is_preface(const __u8 *b, __u32 n)
{
	return n >= AS_H2_PREFACE_LEN && as_h2_preface_prefix(b, n);
}

/*
 * A connection's first bytes, when they are not an HTTP/1 start: a frame
 * header that could start HTTP/2 seen from the middle of a connection (the
 * preface long gone: apiscope started after it). Needs a whole frame header.
 */
AS_INLINE int as_could_be_h2(const __u8 *b, __u32 n)
{
	if (n < AS_H2_FRAME_HEAD)
		return 0;
	return as_h2_plausible(as_h2_head_of(b));
}

/* An HPACK integer with an n-bit prefix at w[*i] (RFC 7541 5.1), within
 * the first m bytes; -1 if it runs past them. */
AS_INLINE __s64 as_hpack_int(const struct as_window *w, __u32 m, __u32 *i, __u32 n)
{
	__u32 mask = (1u << n) - 1, shift = 0, k;
	__s64 v;
	__u8 c;

	if (*i >= m)
		return -1;
	v = as_byte(w, *i) & mask;
	*i += 1;
	if (v < mask)
		return v;
	for (k = 0; k < 4; k++, shift += 7) {
		if (*i >= m)
			return -1;
		c = as_byte(w, *i);
		*i += 1;
		v += (__s64)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	return -1;
}

#define AS_H2_SIDE_BYTES 32 /* what as_h2_block_side looks at */

struct as_hpack_walk {
	__u32 i; /* the next representation's first byte */
	__u32 n; /* bytes there are, at most AS_H2_SIDE_BYTES */
};

/* One field representation at k->i: 1 a request's pseudo-header, 2 a
 * response's, 0 says nothing (k->i moves past it), -1 cannot tell. A
 * function of its own so the verifier checks it once, not per field. */
AS_API int as_h2_side_step(const struct as_window *w, struct as_hpack_walk *k)
{
	__u32 i, n, prefix;
	__s64 idx, len;
	__u8 c;

	if (!w || !k)
		return -1;
	i = k->i;
	n = as_min(k->n, AS_H2_SIDE_BYTES);
	if (i >= n)
		return -1;
	c = as_byte(w, i);
	prefix = (c & 0x80) ? 7 : (c & 0x40) ? 6 : (c & 0x20) ? 5 : 4;
	idx = as_hpack_int(w, n, &i, prefix);
	if (idx < 0)
		return -1;
	if (prefix != 5) { /* not a table size update */
		if (idx >= 1 && idx <= 7)
			return 1;
		if (idx >= 8 && idx <= 14)
			return 2;
	}
	if (prefix == 4 || prefix == 6) { /* a literal: its name, then its value */
		if (idx == 0) {
			len = as_hpack_int(w, n, &i, 7);
			if (len < 0 || len > n - i)
				return -1;
			i += len;
		}
		len = as_hpack_int(w, n, &i, 7);
		if (len < 0 || len > n - i)
			return -1;
		i += len;
	}
	k->i = i;
	return 0;
}

/*
 * Which end wrote a header block, from its first fields: pseudo-header
 * fields come first (RFC 9113 8.3), and a request's (:method, :scheme,
 * :authority, :path) are static table entries 1-7, a response's :status
 * 8-14. Fields whose name is in the dynamic table are passed over (an
 * encoder may send :path or :authority first) until one tells. Returns 1
 * request, 2 response, 0 not known from the first n bytes of w.
 */
AS_INLINE int as_h2_block_side(const struct as_window *w, __u32 n)
{
	struct as_hpack_walk k = { .i = 0, .n = n };
	__u32 f;
	int r;

	for (f = 0; f < 8; f++) {
		r = as_h2_side_step(w, &k);
		if (r)
			return r > 0 ? r : 0;
	}
	return 0;
}

#endif
