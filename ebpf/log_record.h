/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The access log's record (struct as_log_rec) packed and unpacked: the kernel
 * packs (access_log.bpf.h), the exporter unpacks (exporter/access_log), and
 * this is the one definition of the layout both follow. Only the bytes the
 * captured values and the path hold travel, so a record is a few hundred
 * bytes, not the 2.7 KiB of two whole captures.
 */
#ifndef APISCOPE_LOG_RECORD_H
#define APISCOPE_LOG_RECORD_H

#include "parse_base.h"

/* Append a capture (dir 0: a request's, 1: a response's) to r: its meta,
 * then the value of each header present, then (a request's) the path.
 * Returns -1, with r->bytes as it was, if a copy failed. */
AS_INLINE int as_log_pack(struct as_log_rec *r, const struct as_hdr_vals *src, __u32 dir)
{
	struct as_hdr_vals *m = (struct as_hdr_vals *)r->meta[dir & 1];
	__u32 off = r->bytes, k, len;

	/* lengths are read from this copy, so the bytes packed agree with it */
	__builtin_memcpy(m, src, AS_CAP_META);
	for (k = 0; k < AS_MAX_HDRS; k++) {
		len = m->len[k];
		if (!(m->present & (1u << k)) || !len)
			continue;
		if (len > AS_HDR_VAL_MAX)
			len = AS_HDR_VAL_MAX;
		if (off > AS_LOG_DATA_MAX - AS_HDR_VAL_MAX || /* cannot be: for the verifier */
		    AS_COPY(r->data + off, len, src->val[k]))
			return -1;
		off += len;
	}
	len = m->path_len < AS_PATH_MAX ? m->path_len : AS_PATH_MAX;
	if (dir == 0 && len) {
		if (off > AS_LOG_DATA_MAX - AS_PATH_MAX || AS_COPY(r->data + off, len, src->path))
			return -1;
		off += len;
	}
	r->bytes = off;
	return 0;
}

#ifndef __bpf__
/* The same walk backwards: the captures of a record of size bytes (as it
 * came from the ring) into req and resp, whole. Returns 0, or -1 if its
 * lengths do not add up to what came. */
static inline int as_log_unpack(const struct as_log_rec *r, __u32 size, struct as_hdr_vals *req,
				struct as_hdr_vals *resp)
{
	const __u8 *p = r->data, *end;
	__u32 dir, k, n;

	if (size < AS_LOG_HEAD || size > sizeof(*r) || r->bytes > size - AS_LOG_HEAD)
		return -1;
	end = r->data + r->bytes;
	for (dir = 0; dir < 2; dir++) {
		struct as_hdr_vals *v = dir ? resp : req;

		if (!(dir ? r->has_resp : r->has_req))
			continue;
		__builtin_memcpy(v, r->meta[dir], AS_CAP_META);
		for (k = 0; k < AS_MAX_HDRS; k++) {
			if (!(v->present & (1u << k)) || !v->len[k])
				continue;
			n = v->len[k] < AS_HDR_VAL_MAX ? v->len[k] : AS_HDR_VAL_MAX;
			if ((__u32)(end - p) < n)
				return -1;
			__builtin_memcpy(v->val[k], p, n);
			p += n;
		}
		if (dir == 0) {
			n = v->path_len < AS_PATH_MAX ? v->path_len : AS_PATH_MAX;
			if ((__u32)(end - p) < n)
				return -1;
			__builtin_memcpy(v->path, p, n);
			p += n;
		}
	}
	return p == end ? 0 : -1;
}
#endif

#endif
