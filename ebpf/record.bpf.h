/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hooks http_stream.h calls: route ids under the per-service cap, one
 * aggregated update per finished request, self-metric counters.
 */
#ifndef APISCOPE_RECORD_BPF_H
#define APISCOPE_RECORD_BPF_H

#include "maps.bpf.h"

__attribute__((noinline)) int as_hook_count(__u32 counter)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &counter);

	if (v)
		*v += 1;
	return 0;
}

/*
 * The first max_routes_per_service distinct routes of a service keep their
 * own id; later ones share AS_ROUTE_ID_OVERFLOW, so a flood of unique URLs
 * cannot grow the metrics map past the cap.
 */
__attribute__((noinline)) __u64 as_hook_route(struct as_conn *c, struct as_route *r)
{
	struct as_service_route_key key = {};
	__u64 *id, *count, zero = 0;

	if (!c || !r)
		return AS_ROUTE_ID_OVERFLOW;
	__builtin_memcpy(key.comm, c->comm, AS_COMM_LEN);
	key.route_hash = as_route_hash(r);
	id = bpf_map_lookup_elem(&service_routes, &key);
	if (id)
		return *id;
	count = bpf_map_lookup_elem(&service_route_count, key.comm);
	if (!count) {
		bpf_map_update_elem(&service_route_count, key.comm, &zero, BPF_NOEXIST);
		count = bpf_map_lookup_elem(&service_route_count, key.comm);
		if (!count)
			goto overflow;
	}
	if (*count >= max_routes_per_service)
		goto overflow;
	if (bpf_map_update_elem(&routes, &key.route_hash, r, BPF_ANY)) {
		as_hook_count(AS_CNT_ROUTES_MAP_FULL);
		goto overflow;
	}
	if (bpf_map_update_elem(&service_routes, &key, &key.route_hash, BPF_NOEXIST) == 0)
		__sync_fetch_and_add(count, 1);
	return key.route_hash;
overflow:
	as_hook_count(AS_CNT_ROUTE_OVERFLOW);
	return AS_ROUTE_ID_OVERFLOW;
}

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
	struct as_metric_val *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, &as_zero_metric, BPF_NOEXIST);
	v = bpf_map_lookup_elem(map, key);
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

__attribute__((noinline)) int as_hook_record(struct as_conn *c, struct as_record *rec)
{
	struct as_metric_key key = {};
	struct as_metric_val *v;
	__u32 b;

	if (!c || !rec)
		return 0;
	__builtin_memcpy(key.comm, c->comm, AS_COMM_LEN);
	key.route_id = rec->route_id;
	key.status = rec->status;
	key.method = rec->method;
	key.error = rec->error;
	if (c->role == AS_ROLE_CLIENT) {
		key.direction = AS_DIR_CLIENT;
		key.peer_port = c->peer_port;
		__builtin_memcpy(key.peer_addr, c->peer_addr, sizeof(key.peer_addr));
	}
	v = as_metric_slot(percpu_metrics ? (void *)&metrics_percpu : (void *)&metrics, &key);
	if (!v)
		return 0;
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
	as_hook_count(AS_CNT_REQUESTS);
	return 0;
}

#endif
