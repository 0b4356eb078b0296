/* SPDX-License-Identifier: GPL-2.0 */
/* One finished request added to the series of its key: count, sums and
 * histogram buckets, the bounds of which are rodata. */
#ifndef APISCOPE_METRIC_UPDATE_BPF_H
#define APISCOPE_METRIC_UPDATE_BPF_H

#include "kernel_env.bpf.h"
#include "parser_env.h"

static struct as_metric_val as_zero_metric = {}; /* larger than the BPF stack allows */

static __always_inline __u32 as_bucket(__u64 v, const volatile __u64 *bounds, __u32 n)
{
	__u32 i;

	for (i = 0; i < AS_MAX_DURATION_BOUNDS; i++)
		if (i >= n || v <= bounds[i])
			break;
	/* keep the index provably inside the array for the verifier */
	asm volatile("%0 &= 31" : "+r"(i));
	return i < AS_BUCKETS ? i : AS_BUCKETS - 1;
}

/* The value to add a request to, created on first use; NULL if the map is full. */
static __always_inline struct as_metric_val *as_metric_slot(void *map, struct as_metric_key *key)
{
	struct as_metric_val *v = as_lookup_or_init(map, key, &as_zero_metric, BPF_NOEXIST);

	if (!v)
		as_hook_count(AS_CNT_METRICS_MAP_FULL);
	return v;
}

/* Shared values need atomic adds; per-CPU values are only ever touched by
 * their own CPU (programs do not migrate while they run). */
#define AS_ADD(field, n)                                                                   \
	do {                                                                               \
		if (percpu_metrics)                                                        \
			(field) += (n);                                                    \
		else                                                                       \
			__sync_fetch_and_add(&(field), (n));                               \
	} while (0)

/* Returns -1 if the series is not in the map and the map is full. */
static __always_inline int as_metric_add(struct as_metric_key *key, const struct as_record *rec)
{
	struct as_metric_val *v;
	__u32 b;

	v = as_metric_slot(percpu_metrics ? (void *)&metrics_percpu : (void *)&metrics, key);
	if (!v)
		return -1;
	AS_ADD(v->count, 1);
	AS_ADD(v->duration_ns_sum, rec->duration_ns);
	AS_ADD(v->req_bytes_sum, rec->req_bytes);
	AS_ADD(v->resp_bytes_sum, rec->resp_bytes);
	b = as_bucket(rec->duration_ns, duration_bounds_ns, n_duration_bounds);
	AS_ADD(v->duration_bucket[b], 1);
	b = as_bucket(rec->req_bytes, size_bounds, n_size_bounds);
	AS_ADD(v->req_size_bucket[b], 1);
	b = as_bucket(rec->resp_bytes, size_bounds, n_size_bounds);
	AS_ADD(v->resp_size_bucket[b], 1);
	return 0;
}

#endif
