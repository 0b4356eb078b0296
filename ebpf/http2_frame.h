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

/*
 * Which end wrote a header block, from its first byte: pseudo-header fields
 * come first (RFC 9113 8.3), and a request's (:method, :scheme, :authority,
 * :path) are static table entries 1-7, a response's :status 8-14. An
 * indexed field or a literal whose name is indexed tells it; a dynamic table
 * size update may come before. Returns 1 request, 2 response, 0 unknown.
 */
AS_INLINE int as_h2_block_side(const __u8 *b, __u32 n)
{
	__u32 i, idx = 0;

	for (i = 0; i < 4 && i < n; i++) {
		__u8 c = b[i];

		if ((c & 0xe0) == 0x20) { /* size update: skip its integer */
			if ((c & 0x1f) != 0x1f)
				continue;
			while (++i < n && i < 4 && (b[i] & 0x80))
				;
			continue;
		}
		if (c & 0x80)
			idx = c & 0x7f; /* indexed field */
		else if (c & 0x40)
			idx = c & 0x3f; /* literal, incremental indexing */
		else
			idx = c & 0x0f; /* literal, without or never indexing */
		break;
	}
	if (idx >= 1 && idx <= 7)
		return 1;
	if (idx >= 8 && idx <= 14)
		return 2;
	return 0;
}

#endif
