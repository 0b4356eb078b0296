/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* HTTP/1.1 chunked bodies: chunk-size lines and the CRLF after each chunk. */
#ifndef APISCOPE_HTTP1_CHUNKED_H
#define APISCOPE_HTTP1_CHUNKED_H

#include "conn_types.h"

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

#endif
