/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Route normalisation: a request target becomes the route it counts under
 * (scheme, authority, query and fragment dropped, id-like segments replaced
 * by {id}), and the route's hash, its id in the maps. The exporter runs the
 * same code (kernel_route.cpp) for the routes it names in maps.
 */
#ifndef APISCOPE_ROUTE_NORM_H
#define APISCOPE_ROUTE_NORM_H

#include "parse_base.h"

/* Classes of a target's bytes for route normalisation: one table load per
 * byte instead of a dozen comparisons (unit-tested against their definitions). */
enum as_url_class_bits {
	AS_UC_DIGIT = 1,    /* 0-9 */
	AS_UC_HEX = 2,      /* 0-9 a-f A-F */
	AS_UC_B64 = 4,      /* base64 and base64url: 0-9 a-z A-Z - _ + = */
	AS_UC_ALPHA = 8,    /* a-z A-Z */
	AS_UC_DASH = 16,    /* '-' */
	AS_UC_SLASH = 32,   /* '/' */
	AS_UC_END = 64,     /* '?' '#': the path ends */
	AS_UC_HEXDASH = 128, /* hex or '-' (UUIDs) */
};

static const __u8 as_url_class[128] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x94, 0x00, 0x20,
	0x87, 0x87, 0x87, 0x87, 0x87, 0x87, 0x87, 0x87, 0x87, 0x87, 0x00, 0x00, 0x00, 0x04, 0x00, 0x40,
	0x00, 0x8e, 0x8e, 0x8e, 0x8e, 0x8e, 0x8e, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c,
	0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x04,
	0x00, 0x8e, 0x8e, 0x8e, 0x8e, 0x8e, 0x8e, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c,
	0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00,
};

AS_INLINE __u8 as_url_class_of(__u8 c)
{
	return c < 128 ? as_url_class[c & 127] : 0;
}

/* Route normalisation state, kept in memory between steps. The current
 * segment is r->text[start..o); and_cls and or_cls fold its bytes' classes. */
struct as_norm {
	__u32 o;     /* output length so far */
	__u32 start; /* where the current segment begins in the output */
	__u8 and_cls, or_cls, dashes, pad;
	__u32 slashes; /* absolute-form: slashes before the path */
};

AS_INLINE void as_seg_begin(struct as_norm *g, __u32 start)
{
	g->start = start;
	g->and_cls = 0xff;
	g->or_cls = 0;
	g->dashes = 0;
}

/* numbers, UUIDs, hex of 16+ chars, base64/base64url tokens of 20+ with a digit */
AS_INLINE int as_seg_is_id(const struct as_norm *g, const struct as_route *r)
{
	__u32 len = g->o - g->start, s = g->start;
	__u8 all = g->and_cls, any = g->or_cls;

	if (!len)
		return 0;
	if (all & AS_UC_DIGIT)
		return 1;
	if (len == 36 && (all & AS_UC_HEXDASH) && g->dashes == 4 &&
	    r->text[(s + 8) & (AS_ROUTE_LEN - 1)] == '-' && r->text[(s + 13) & (AS_ROUTE_LEN - 1)] == '-' &&
	    r->text[(s + 18) & (AS_ROUTE_LEN - 1)] == '-' && r->text[(s + 23) & (AS_ROUTE_LEN - 1)] == '-')
		return 1;
	if (len >= 16 && (all & AS_UC_HEX) && (any & AS_UC_DIGIT))
		return 1;
	return len >= 20 && (all & AS_UC_B64) && (any & AS_UC_DIGIT) && (any & AS_UC_ALPHA);
}

/* The current segment ended: replace it by {id} if it is one. */
AS_INLINE void as_seg_end(struct as_norm *g, struct as_route *r)
{
	__u32 o = g->start;

	if (!as_seg_is_id(g, r) || o + 4 >= AS_ROUTE_LEN)
		return;
	r->text[o & (AS_ROUTE_LEN - 1)] = '{';
	r->text[(o + 1) & (AS_ROUTE_LEN - 1)] = 'i';
	r->text[(o + 2) & (AS_ROUTE_LEN - 1)] = 'd';
	r->text[(o + 3) & (AS_ROUTE_LEN - 1)] = '}';
	g->o = o + 4;
}

AS_API int as_route_finish(struct as_route *r, struct as_norm *g)
{
	__u32 o;

	if (!r || !g)
		return 0;
	as_seg_end(g, r);
	o = g->o;
	if (o == 0) {
		r->text[0] = '/';
		o = 1;
	}
	if (o > AS_ROUTE_LEN - 1)
		o = AS_ROUTE_LEN - 1;
	r->text[o & (AS_ROUTE_LEN - 1)] = 0;
	g->o = o;
	return o;
}

struct as_norm_ctx {
	const struct as_window *w;
	struct as_route *r;
	struct as_norm *g;
	__u32 off;
	__u32 end;
};

/* A '/' after the segment g holds: end it, write the slash, start the next.
 * Returns 1 if the route is full. Out of line: the step below is unrolled. */
AS_API int as_norm_slash(struct as_norm *g, struct as_route *r)
{
	__u32 o;

	if (!g || !r)
		return 1;
	as_seg_end(g, r);
	o = g->o;
	if (o >= AS_ROUTE_LEN - 1)
		return 1;
	r->text[o & (AS_ROUTE_LEN - 1)] = '/';
	g->o = o + 1;
	as_seg_begin(g, o + 1);
	return 0;
}

#define AS_NORM_STEP 8 /* bytes per loop step: the loop's call costs more than a byte */

/* The next AS_NORM_STEP bytes of the path; returns 1 to stop. A segment's
 * classes stay in registers between its slashes. */
static long as_norm_step(__u64 k, void *vctx)
{
	struct as_norm_ctx *x = (struct as_norm_ctx *)vctx;
	struct as_norm *g = x->g;
	struct as_route *r = x->r;
	__u32 i = x->off + (__u32)k * AS_NORM_STEP, o = g->o, j;
	__u8 all = g->and_cls, any = g->or_cls, dashes = g->dashes;
	long stop = 0;

#ifdef __clang__
#pragma unroll
#endif
	for (j = 0; j < AS_NORM_STEP; j++) {
		__u8 c, cls;

		if (i + j >= x->end || o >= AS_ROUTE_LEN - 1) {
			stop = 1;
			break;
		}
		c = x->w->b[(i + j) & AS_WMASK];
		cls = as_url_class_of(c);
		if (cls & (AS_UC_END | AS_UC_SLASH)) {
			g->o = o;
			g->and_cls = all;
			g->or_cls = any;
			g->dashes = dashes;
			if ((cls & AS_UC_END) || as_norm_slash(g, r))
				return 1;
			o = g->o;
			all = 0xff;
			any = 0;
			dashes = 0;
			continue;
		}
		all &= cls;
		any |= cls;
		dashes += (cls & AS_UC_DASH) != 0;
		r->text[o & (AS_ROUTE_LEN - 1)] = c;
		o++;
	}
	g->o = o;
	g->and_cls = all;
	g->or_cls = any;
	g->dashes = dashes;
	return stop;
}

/* Absolute-form: the path starts at the third '/' ("scheme://host/"). */
static long as_norm_skip_step(__u64 k, void *vctx)
{
	struct as_norm_ctx *x = (struct as_norm_ctx *)vctx;
	__u32 i = x->off + (__u32)k;

	if (i >= x->end)
		return 1;
	if (x->w->b[i & AS_WMASK] == '/' && ++x->g->slashes == 3) {
		x->off = i;
		return 1;
	}
	return 0;
}

/*
 * Normalise the request target w[off..off+len) into r: drop scheme and
 * authority of an absolute URI, the query and the fragment, and replace
 * id-like segments by {id}. Returns the text length (NUL-terminated, at most
 * AS_ROUTE_LEN - 1; longer routes are cut). g is working memory.
 */
AS_API int as_normalize_route(const struct as_window *w, __u32 off, __u32 len,
			      struct as_route *r, struct as_norm *g)
{
	struct as_norm_ctx x;

	if (!w || !r || !g)
		return 0;
	__builtin_memset(r, 0, sizeof(*r));
	__builtin_memset(g, 0, sizeof(*g));
	x.w = w;
	x.r = r;
	x.g = g;
	x.off = off;
	if (len > AS_WINDOW)
		len = AS_WINDOW;
	x.end = off + len;
	if (x.end > AS_WINDOW)
		x.end = AS_WINDOW;
	as_seg_begin(g, 0);
	/* origin-form and '*' start at once; absolute-form after "scheme://host" */
	if (off >= x.end || (w->b[off & AS_WMASK] != '/' && w->b[off & AS_WMASK] != '*')) {
		struct as_norm_ctx y = x;

		AS_LOOP(AS_WINDOW, as_norm_skip_step, &y);
		x.off = g->slashes == 3 ? y.off : x.end;
	}
	AS_LOOP(AS_WINDOW / AS_NORM_STEP, as_norm_step, &x);
	return as_route_finish(r, g);
}

/* A hash of the route text, up to its NUL, a word at a time (the exporter
 * computes the same for the routes it names); ids below 16 are reserved
 * (AS_ROUTE_ID_*). */
AS_API __u64 as_route_hash(const struct as_route *r)
{
	__u64 h = 0xcbf29ce484222325ULL;
	__u32 i;

	if (!r)
		return 0;
	for (i = 0; i < AS_ROUTE_LEN / 8; i++) {
		__u64 v = r->q[i], z = as_bytes_eq(v, 0);

		if (z) /* the NUL: bytes after it may be left from a longer route */
			v &= as_low_bytes(as_lowest_byte(z));
		h = (h ^ v) * 0x100000001b3ULL;
		h ^= h >> 29;
		if (z)
			break;
	}
	return h < 16 ? h + 16 : h;
}

#endif
