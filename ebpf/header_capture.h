/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Header capture: copying the values of the configured headers (and the
 * request target, for the access log) out of a head as it is scanned.
 *
 * A value is copied byte by byte through as_cap_byte(), from
 * whole lines (as_cap_line) and from lines cut between buffers (the byte
 * machine) alike, so both give the same value: leading and trailing blanks
 * dropped, a repeated header appended after ", " (RFC 9110 5.3), bytes past
 * value_max dropped and the value marked truncated. Folded continuation lines
 * (obs-fold) start with a blank, so they never match a name and are ignored.
 */
#ifndef APISCOPE_HEADER_CAPTURE_H
#define APISCOPE_HEADER_CAPTURE_H

#include "parser_env.h"

AS_INLINE int as_is_blank(__u8 c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* A captured header's name ended (':'): its value follows. Inline: the
 * verifier allows 8 nested calls, and this one is deep. */
AS_INLINE int as_cap_begin(struct as_hdr_vals *cap, __u32 dir, __u32 k)
{
	__u32 bit, len;

	if (!cap || k >= AS_MAX_HDRS || dir > 1)
		return 0;
	bit = 1u << k;
	cap->cur = AS_CAP_NONE;
	if (AS_CAPTURE_CFG.hdr[dir][k].flags & AS_HDR_PRESENCE_ONLY) {
		cap->present |= bit; /* the secret's bytes are never copied */
		return 0;
	}
	cap->lead = 1;
	if (!(cap->present & bit)) {
		cap->present |= bit;
		cap->len[k] = 0;
		cap->wlen = 0;
		cap->cur = k;
		return 0;
	}
	/* a repeated header: append ", " and the new value */
	len = cap->len[k];
	if (len + 2 >= AS_CAPTURE_CFG.value_max || len + 2 >= AS_HDR_VAL_MAX) {
		cap->truncated |= bit;
		return 0;
	}
	cap->val[k][as_mask(len, AS_HDR_VAL_MAX - 1)] = ',';
	cap->val[k][as_mask(len + 1, AS_HDR_VAL_MAX - 1)] = ' ';
	cap->wlen = len + 2;
	cap->cur = k;
	return 0;
}

/* One byte of the value being captured (never the LF that ends it). */
AS_API int as_cap_byte(struct as_hdr_vals *cap, __u32 ch)
{
	__u32 k, w;
	__u8 c = ch;

	if (!cap)
		return 0;
	k = cap->cur;
	if (k >= AS_MAX_HDRS)
		return 0;
	if (as_is_blank(c) && cap->lead)
		return 0;
	w = cap->wlen;
	if (w >= AS_CAPTURE_CFG.value_max || w >= AS_HDR_VAL_MAX) {
		if (!as_is_blank(c))
			cap->truncated |= 1u << k;
		return 0;
	}
	cap->val[as_mask(k, AS_MAX_HDRS - 1)][as_mask(w, AS_HDR_VAL_MAX - 1)] = c;
	cap->wlen = w + 1;
	if (!as_is_blank(c)) {
		cap->lead = 0;
		cap->len[as_mask(k, AS_MAX_HDRS - 1)] = w + 1; /* trailing blanks are not kept */
	}
	return 0;
}

/* Is w[p..p+len) (any case) the name of captured header k of list dir? */
AS_API int as_name_eq(const struct as_window *w, __u32 p, __u32 dir, __u32 k, __u32 len)
{
	__u32 j;

	if (!w || dir > 1 || k >= AS_MAX_HDRS)
		return 0;
	for (j = 0; j < AS_HDR_NAME_MAX; j++) {
		if (j >= len)
			return 1;
		if (as_lower(w->b[as_mask(p + j, AS_WMASK)]) != (__u8)AS_CAPTURE_CFG.hdr[dir][k].name[j])
			return 0;
	}
	return 0;
}

/* The value w[from..to) of the header being captured, its blanks already
 * trimmed: appended in one copy, cut at value_max. */
AS_API int as_cap_append(struct as_hdr_vals *cap, const struct as_window *w, __u32 from, __u32 to)
{
	__u32 k, wl, n, room;

	if (!cap || !w)
		return 0;
	k = cap->cur;
	if (k >= AS_MAX_HDRS || to <= from || to > AS_WINDOW)
		return 0;
	wl = cap->wlen;
	room = AS_CAPTURE_CFG.value_max < AS_HDR_VAL_MAX ? AS_CAPTURE_CFG.value_max : AS_HDR_VAL_MAX;
	if (wl >= room) {
		cap->truncated |= 1u << k;
		return 0;
	}
	room -= wl;
	n = to - from;
	if (n > room) {
		n = room;
		cap->truncated |= 1u << k;
	}
	k = as_mask(k, AS_MAX_HDRS - 1);
	wl = as_mask(wl, AS_HDR_VAL_MAX - 1);
	n = as_mask(n, 2 * AS_HDR_VAL_MAX - 1);
	if (n > AS_HDR_VAL_MAX)
		return 0;
	AS_COPY(&cap->val[k][wl], n, &w->b[as_mask(from, AS_WMASK)]);
	cap->wlen = wl + n;
	cap->len[k] = wl + n;
	cap->lead = 0;
	return 0;
}

/*
 * A whole header line w[p..e) (e is its LF): if its name is one to capture,
 * copy its value. The first byte was already matched against first_chars.
 */
AS_API int as_cap_line(__u32 dir, const struct as_window *w, __u32 p, __u32 e, struct as_hdr_vals *cap)
{
	__u32 k, len = 0, from, to, j;

	if (!w || !cap || e > AS_WINDOW)
		return 0;
	dir &= 1;
	for (k = 0; k < AS_MAX_HDRS; k++) {
		if (k >= AS_CAPTURE_CFG.n[dir])
			return 0;
		len = AS_CAPTURE_CFG.hdr[dir][k].len;
		if (len && p + len < e && w->b[as_mask(p + len, AS_WMASK)] == ':' && as_name_eq(w, p, dir, k, len))
			break;
	}
	if (k >= AS_MAX_HDRS)
		return 0;
	as_cap_begin(cap, dir, k);
	if (cap->cur == AS_CAP_NONE)
		return 0;
	/* trim: blanks before the value, blanks and the CR after it */
	from = p + len + 1;
	to = e;
	for (j = 0; j < AS_WINDOW; j++) {
		if (from >= to || !as_is_blank(w->b[as_mask(from, AS_WMASK)]))
			break;
		from++;
	}
	for (j = 0; j < AS_WINDOW; j++) {
		if (to <= from || !as_is_blank(w->b[as_mask(to - 1, AS_WMASK)]))
			break;
		to--;
	}
	as_cap_append(cap, w, from, to);
	cap->cur = AS_CAP_NONE;
	return 0;
}

/* Copy the request target w[off..off+len) for the access log; the query is
 * cut unless include_query (its secrets then never leave the kernel). */
AS_API int as_cap_path(struct as_hdr_vals *cap, const struct as_window *w, __u32 off, __u32 len)
{
	__u32 j, n;

	if (!cap || !w)
		return 0;
	cap->path_len = 0;
	cap->path_trunc = 0;
	if (off >= AS_WINDOW)
		return 0;
	if (len > AS_WINDOW - off)
		len = AS_WINDOW - off;
	n = len;
	for (j = 0; j < AS_WINDOW; j++) {
		__u8 c;

		if (j >= len)
			break;
		c = w->b[as_mask(off + j, AS_WMASK)];
		if ((c == '?' && !AS_CAPTURE_CFG.include_query) || c == '#') {
			n = j;
			break;
		}
	}
	if (n > AS_PATH_MAX) {
		n = AS_PATH_MAX;
		cap->path_trunc = 1;
	}
	n = as_mask(n, 2 * AS_PATH_MAX - 1);
	if (!n || n > AS_PATH_MAX)
		return 0;
	AS_COPY(cap->path, n, &w->b[as_mask(off, AS_WMASK)]);
	cap->path_len = n;
	return 0;
}

#endif
