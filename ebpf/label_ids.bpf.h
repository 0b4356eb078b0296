/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Header labels: the id of a captured header's value as a metric label. Each
 * service keeps its first max_label_values values of a header (their text in
 * label_values); later values share AS_LABEL_OTHER, so a client sending
 * random values cannot grow the series count.
 */
#ifndef APISCOPE_LABEL_IDS_BPF_H
#define APISCOPE_LABEL_IDS_BPF_H

#include "kernel_env.bpf.h"
#include "parser_env.h"

/* The label value id of header label l in cap (a request's or a response's
 * captured headers), under the per-service cap. s->lt holds its text. */
__attribute__((noinline)) __u64 as_label_id(struct as_conn *c, struct as_scratch *s,
					    struct as_hdr_vals *cap, __u32 l)
{
	struct as_label_key key = {};
	struct as_label_count_key ck = {};
	__u64 *count, zero = 0, h = 0xcbf29ce484222325ULL;
	__u32 k, len, i, product;

	if (!c || !s || !cap || l >= AS_MAX_LABELS)
		return AS_LABEL_EMPTY;
	l = as_mask(l, AS_MAX_LABELS - 1);
	k = capture_cfg.labels[l].hdr & (AS_MAX_HDRS - 1);
	product = capture_cfg.labels[l].product;
	if (!(cap->present & (1u << k)))
		return AS_LABEL_EMPTY;
	len = cap->len[k];
	for (i = 0; i < AS_HDR_VAL_MAX; i++) {
		__u8 ch;

		if (i >= len)
			break;
		ch = cap->val[k][i];
		if (product && (ch == '/' || ch == ' '))
			break;
		s->lt.text[i] = ch;
		h = (h ^ ch) * 0x100000001b3ULL;
	}
	if (!i)
		return AS_LABEL_EMPTY;
	s->lt.len = i;
	s->lt.truncated = i == len && (cap->truncated & (1u << k));
	h = (h ^ s->lt.truncated) * 0x100000001b3ULL;
	if (h < 16)
		h += 16;
	__builtin_memcpy(key.comm, c->comm, AS_COMM_LEN);
	key.label = l;
	key.hash = h;
	if (bpf_map_lookup_elem(&label_values, &key))
		return h;
	__builtin_memcpy(ck.comm, c->comm, AS_COMM_LEN);
	ck.label = l;
	count = as_lookup_or_init(&label_value_count, &ck, &zero, BPF_NOEXIST);
	if (!count) {
		as_hook_count(AS_CNT_LABEL_VALUES_MAP_FULL);
		return AS_LABEL_OTHER;
	}
	if (*count >= max_label_values) {
		as_hook_count(AS_CNT_LABEL_OVERFLOW + l);
		return AS_LABEL_OTHER;
	}
	if (bpf_map_update_elem(&label_values, &key, &s->lt, BPF_NOEXIST)) {
		if (bpf_map_lookup_elem(&label_values, &key))
			return h; /* another CPU added it first */
		as_hook_count(AS_CNT_LABEL_VALUES_MAP_FULL);
		return AS_LABEL_OTHER;
	}
	__sync_fetch_and_add(count, 1);
	return h;
}

#endif
