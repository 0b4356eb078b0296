/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * HTTP/1.x heads: finding the blank line that ends a head, reading what the
 * framing depends on (Content-Length, Transfer-Encoding) and handing the
 * captured headers' lines to header_capture.h. A fast scan over aligned
 * words for whole lines, and a byte machine whose state is carried across
 * reads for lines cut between them.
 */
#ifndef APISCOPE_HTTP1_HEAD_H
#define APISCOPE_HTTP1_HEAD_H

#include "header_capture.h"


/*
 * The header names the framing depends on, lowercase, packed eight bytes to a
 * word: static const arrays would land in .rodata, which clang 14 emits with
 * BTF offsets the kernel rejects.
 */
#define AS_CL_LEN 14  /* content-length */
#define AS_TE_LEN 17  /* transfer-encoding */
#define AS_CHUNKED_LEN 7

AS_INLINE __u8 as_word_char(__u64 w0, __u64 w1, __u64 w2, __u32 i)
{
	__u64 w = i < 8 ? w0 : (i < 16 ? w1 : w2);

	return (w >> ((i & 7) * 8)) & 0xff;
}

AS_INLINE __u8 as_cl_char(__u32 i)
{
	return as_word_char(0x2d746e65746e6f63ULL, 0x00006874676e656cULL, 0, i);
}

AS_INLINE __u8 as_te_char(__u32 i)
{
	return as_word_char(0x726566736e617274ULL, 0x6e69646f636e652dULL, 0x0000000000000067ULL, i);
}

AS_INLINE __u8 as_chunked_char(__u32 i)
{
	return as_word_char(0x0064656b6e756863ULL, 0, 0, i);
}

/* The byte machine reads a name: drop the captured headers it cannot be. */
AS_API int as_cap_name_byte(struct as_head_scan *h, __u32 lc)
{
	__u32 k, dir, pos;

	if (!h)
		return 0;
	dir = h->cdir & 1;
	pos = h->name_pos;
	for (k = 0; k < AS_MAX_HDRS; k++) {
		if (!(h->ccand & (1u << k)))
			continue;
		if (pos >= AS_CAPTURE_CFG.hdr[dir][k].len ||
		    (__u8)lc != (__u8)AS_CAPTURE_CFG.hdr[dir][k].name[as_mask(pos, AS_HDR_NAME_MAX - 1)])
			h->ccand &= ~(1u << k);
	}
	return 0;
}

/* The byte machine found the ':' of a name that may be captured. */
AS_API int as_cap_name_end(struct as_head_scan *h, struct as_hdr_vals *cap)
{
	__u32 k, dir;

	if (!h || !cap)
		return 0;
	dir = h->cdir & 1;
	for (k = 0; k < AS_MAX_HDRS; k++) {
		if ((h->ccand & (1u << k)) && h->name_pos == AS_CAPTURE_CFG.hdr[dir][k].len) {
			as_cap_begin(cap, dir, k);
			return cap->cur != AS_CAP_NONE;
		}
	}
	return 0;
}

/* One byte of a head. Returns 1 when it ends the head. A global function of
 * its own: the verifier checks the state machine once, and the byte loop
 * below carries no state in registers. cap, if not NULL, receives the values
 * of captured headers. */
AS_API int as_head_byte(struct as_head_scan *h, __u32 ch, struct as_hdr_vals *cap)
{
	__u8 c = ch, lc = as_lower(c);

	if (!h)
		return 0;
	switch (h->state) {
	case AS_HS_LINE_START:
		if (c == '\r') {
			h->state = AS_HS_EMPTY_CR;
			break;
		}
		if (c == '\n')
			return 1;
		h->state = AS_HS_NAME;
		h->name_pos = 0;
		h->cand = 3;
		h->ccand = cap ? (1u << AS_CAPTURE_CFG.n[h->cdir & 1]) - 1 : 0;
		/* fall through */
	case AS_HS_NAME:
		if (c == ':') {
			if (h->ccand && as_cap_name_end(h, cap)) {
				h->state = AS_HS_VALUE_CAP;
			} else if ((h->cand & 1) && h->name_pos == AS_CL_LEN) {
				if (h->flags & AS_HF_HAS_CL)
					h->flags |= AS_HF_BAD_CL; /* duplicates: RFC 9112 6.3 */
				h->flags |= AS_HF_HAS_CL;
				h->content_length = 0;
				h->cl_digits = 0;
				h->state = AS_HS_VALUE_CL;
			} else if ((h->cand & 2) && h->name_pos == AS_TE_LEN) {
				h->te_match = 0;
				h->state = AS_HS_VALUE_TE;
			} else {
				h->state = AS_HS_SKIP;
			}
			break;
		}
		if (c == '\n') {
			h->state = AS_HS_LINE_START;
			break;
		}
		if (h->name_pos >= AS_CL_LEN || lc != as_cl_char(h->name_pos))
			h->cand &= ~1;
		if (h->name_pos >= AS_TE_LEN || lc != as_te_char(h->name_pos))
			h->cand &= ~2;
		if (h->ccand)
			as_cap_name_byte(h, lc);
		if (!h->cand && !h->ccand)
			h->state = AS_HS_SKIP;
		h->name_pos++;
		break;
	case AS_HS_VALUE_CAP:
		if (c == '\n') {
			if (cap)
				cap->cur = AS_CAP_NONE;
			h->state = AS_HS_LINE_START;
			break;
		}
		as_cap_byte(cap, c);
		break;
	case AS_HS_EMPTY_CR:
		if (c == '\n')
			return 1;
		h->state = AS_HS_SKIP;
		break;
	case AS_HS_VALUE_CL:
		if (c >= '0' && c <= '9') {
			if (h->cl_digits >= 18)
				h->flags |= AS_HF_BAD_CL;
			h->content_length = h->content_length * 10 + (c - '0');
			h->cl_digits++;
		} else if (c == '\n') {
			if (!h->cl_digits)
				h->flags |= AS_HF_BAD_CL;
			h->state = AS_HS_LINE_START;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			h->flags |= AS_HF_BAD_CL;
		}
		break;
	case AS_HS_VALUE_TE:
		if (c == '\n') {
			h->state = AS_HS_LINE_START;
			break;
		}
		if (lc == as_chunked_char(h->te_match)) {
			h->te_match++;
			if (h->te_match == AS_CHUNKED_LEN) {
				h->flags |= AS_HF_CHUNKED;
				h->te_match = 0;
			}
		} else {
			h->te_match = lc == 'c';
		}
		break;
	default:
		if (c == '\n')
			h->state = AS_HS_LINE_START;
		break;
	}
	return 0;
}

/* Byte-by-byte scan: for heads split in the middle of a line. */
struct as_head_ctx {
	struct as_head_scan *h;
	const struct as_window *w;
	struct as_hdr_vals *cap;
	__u32 n;
	int end; /* offset past the head, or -1 */
};

static long as_head_step(__u64 k, void *vctx)
{
	struct as_head_ctx *x = (struct as_head_ctx *)vctx;
	struct as_head_scan *h = x->h;
	__u32 i = h->pos;

	if (i >= x->n || i >= AS_WINDOW)
		return 1;
	h->pos = i + 1;
	if (as_head_byte(h, x->w->b[i & AS_WMASK], x->cap)) {
		x->end = i + 1;
		return 1;
	}
	return 0;
}

AS_API int as_scan_head_bytes(struct as_head_scan *h, const struct as_window *w, __u32 start,
			      __u32 n, struct as_hdr_vals *cap)
{
	struct as_head_ctx x;

	if (!h || !w)
		return -1;
	x.h = h;
	x.w = w;
	x.cap = cap;
	x.n = n > AS_WINDOW ? AS_WINDOW : n;
	x.end = -1;
	h->pos = start;
	AS_LOOP(AS_WINDOW, as_head_step, &x);
	return x.end;
}

/*
 * The fast head scan: one pass over aligned words finds every line end; a
 * line is looked at only when its name could be Content-Length or
 * Transfer-Encoding. struct as_lines is where the scan is; the window and
 * the scanner state go to global functions as arguments, since a global
 * function cannot take pointers out of memory.
 */
struct as_lines {
	__u32 line_start; /* start of the line being scanned */
	int end;          /* offset past the head, or -1 */
	__u32 skip;       /* the first line end found ends a line to skip */
	__u32 base;       /* offset of the word being looked at */
	__u64 m;          /* its line ends */
};

#define AS_LC8(a, b, c, d, e, f, g, h)                                                     \
	((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24 |               \
	 (__u64)(e) << 32 | (__u64)(f) << 40 | (__u64)(g) << 48 | (__u64)(h) << 56)
#define AS_FOLD 0x2020202020202020ULL /* lowercases letters; '-' and ':' already have it */

/* The value of a Content-Length line, w[p..e): digits between blanks. The
 * running value lives in *h, not in registers, for the verifier's sake. */
AS_INLINE void as_content_length(struct as_head_scan *h, const struct as_window *w, __u32 p, __u32 e)
{
	__u32 j;

	if (h->flags & AS_HF_HAS_CL)
		h->flags |= AS_HF_BAD_CL; /* duplicates: RFC 9112 6.3 */
	h->flags |= AS_HF_HAS_CL;
	h->content_length = 0;
	h->cl_digits = 0;
	h->te_match = 0; /* borrowed below: a blank came after the digits */
	for (j = 0; j < 40; j++) {
		__u8 c;

		if (p + j >= e)
			break;
		c = as_byte(w, p + j);
		if (c >= '0' && c <= '9') {
			if (h->cl_digits >= 18 || h->te_match)
				h->flags |= AS_HF_BAD_CL;
			h->content_length = h->content_length * 10 + (c - '0');
			h->cl_digits++;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			h->te_match = h->cl_digits > 0;
		} else {
			h->flags |= AS_HF_BAD_CL;
		}
	}
	if (!h->cl_digits || p + 40 < e)
		h->flags |= AS_HF_BAD_CL;
	h->te_match = 0;
}

/* A complete line w[p..e), e being its LF. Returns 1 if it is the blank line.
 * A global function: the verifier checks it once. */
AS_API int as_head_line(struct as_head_scan *h, const struct as_window *w, __u32 p, __u32 e,
			struct as_hdr_vals *cap)
{
	__u32 j;
	__u8 c;

	if (!h || !w)
		return 0;
	c = as_byte(w, p) | 0x20;
	if (e == p || (e == p + 1 && as_byte(w, p) == '\r'))
		return 1;
	if (c == 'c' && p + 15 <= e && p <= AS_WINDOW - 16 &&
	    (as_load64(w, p) | AS_FOLD) == AS_LC8('c', 'o', 'n', 't', 'e', 'n', 't', '-') &&
	    (as_load64(w, p + 7) | AS_FOLD) == AS_LC8('-', 'l', 'e', 'n', 'g', 't', 'h', ':')) {
		as_content_length(h, w, p + 15, e);
		return 0;
	}
	if (c == 't' && p + 18 <= e && p <= AS_WINDOW - 18 &&
	    (as_load64(w, p) | AS_FOLD) == AS_LC8('t', 'r', 'a', 'n', 's', 'f', 'e', 'r') &&
	    (as_load64(w, p + 8) | AS_FOLD) == AS_LC8('-', 'e', 'n', 'c', 'o', 'd', 'i', 'n') &&
	    (as_load64(w, p + 10) | AS_FOLD) == AS_LC8('n', 'c', 'o', 'd', 'i', 'n', 'g', ':'))
		goto framing;
	if (cap)
		as_cap_line(h->cdir, w, p, e, cap);
	return 0;
framing:
	/* a line the framing depends on: the byte machine reads it, so that whole
	 * lines and lines split across buffers get the same rules */
	h->state = AS_HS_LINE_START;
	for (j = 0; j < 64; j++) {
		if (p + j > e)
			break;
		as_head_byte(h, as_byte(w, p + j), 0);
	}
	if (h->state != AS_HS_LINE_START) { /* a value too long to be real */
		if (h->state == AS_HS_VALUE_CL)
			h->flags |= AS_HF_BAD_CL;
		h->state = AS_HS_LINE_START;
	}
	return 0;
}

/* Every line end flagged in x->m (the word at x->base): returns 1 once the
 * blank line that ends the head is found (x->end). Only lines that start like
 * a blank line, Content-Length, Transfer-Encoding or a captured header are
 * looked at. */
AS_API int as_lines_in_word(struct as_head_scan *h, const struct as_window *w, struct as_lines *x,
			    struct as_hdr_vals *cap)
{
	__u64 m, first = 0;
	__u32 j;

	if (!h || !w || !x)
		return 0;
	m = x->m;
	if (cap)
		first = AS_CAPTURE_CFG.first_chars[h->cdir & 1];
	for (j = 0; j < 8 && m; j++) {
		__u32 lf = x->base + as_lowest_byte(m);
		__u8 c = as_byte(w, x->line_start);

		m &= m - 1;
		if (x->skip) {
			x->skip = 0;
		} else if ((c == '\r' || c == '\n' || (c | 0x20) == 'c' || (c | 0x20) == 't' ||
			    ((first >> ((c | 0x20) & 63)) & 1)) &&
			   as_head_line(h, w, x->line_start, lf, cap)) {
			x->end = lf + 1;
			return 1;
		}
		x->line_start = lf + 1;
	}
	return 0;
}

/*
 * Feed w[start..n) to the header scanner. Returns the offset just past the
 * blank line that ends the head, or -1 if the head goes on past n. Only
 * Content-Length, Transfer-Encoding and the headers captured into cap (if not
 * NULL) are looked at. A head split between
 * buffers anywhere, even inside a line, is read right: a line cut at the end
 * of a buffer, and the one it continues in the next, go through the byte
 * machine, whose state is carried.
 */
AS_API int as_scan_head(struct as_head_scan *h, const struct as_window *w, __u32 start, __u32 n,
			struct as_hdr_vals *cap)
{
	struct as_lines x;
	AS_ITER it;
	__u32 idx0, nw;
	int *v, done = 0;

	if (!h || !w)
		return -1;
	if (n > AS_WINDOW)
		n = AS_WINDOW;
	/* inside a header line cut at the end of the last buffer: the byte machine */
	if (h->state != AS_HS_LINE_START && h->state != AS_HS_SKIP)
		return as_scan_head_bytes(h, w, start, n, cap);
	if (start >= n)
		return -1;
	x.line_start = start;
	x.end = -1;
	x.skip = h->state == AS_HS_SKIP; /* the rest of a line we do not read */
	/* a loop over aligned words: the work per word is small, and line ends
	 * go to a global function */
	idx0 = start / 8;
	nw = (n + 7) / 8;
	/* four words per iterator step: most words hold no line end, and the
	 * iterator call costs more than the test of one */
	AS_ITER_NEW(&it, idx0 / 4, (nw + 3) / 4);
	while ((v = AS_ITER_NEXT(&it))) {
		__u32 q = *v, j;

		if (q >= AS_WINDOW / 32)
			break;
#ifdef __clang__
#pragma unroll
#endif
		for (j = 0; j < 4; j++) {
			__u32 idx = q * 4 + j, base = idx * 8;
			__u64 m;

			if (idx < idx0 || idx >= nw)
				continue;
			m = as_bytes_eq(as_word(w, idx), '\n');
			if (idx == idx0)
				m &= ~as_low_bytes(start & 7);
			if (n - base < 8)
				m &= as_low_bytes(n - base);
			if (!m)
				continue;
			x.m = m;
			x.base = base;
			if (as_lines_in_word(h, w, &x, cap)) {
				done = 1;
				break;
			}
		}
		if (done)
			break;
	}
	AS_ITER_DESTROY(&it);
	if (done)
		return x.end;
	if (x.skip)
		return -1; /* still in the line to skip: h->state stays AS_HS_SKIP */
	h->state = AS_HS_LINE_START;
	if (x.line_start >= n)
		return -1;
	return as_scan_head_bytes(h, w, x.line_start, n, cap); /* a line cut at n */
}

#endif
