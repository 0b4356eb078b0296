/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-service route cap: the first max_routes_per_service distinct
 * routes of a service keep their own id (the route's hash); later ones share
 * AS_ROUTE_ID_OVERFLOW, so a flood of unique URLs cannot grow the metrics map
 * past the cap. The parser's as_hook_route.
 */
#ifndef APISCOPE_ROUTE_CAP_BPF_H
#define APISCOPE_ROUTE_CAP_BPF_H

#include "kernel_env.bpf.h"
#include "parser_env.h"

/* A known route costs one lookup: its entry holds its genai value
 * (genai_routes is filled before the programs attach), looked up once, when
 * the route is new. */
__attribute__((noinline)) __u64 as_hook_route(struct as_conn *c, struct as_scratch *s)
{
	struct as_service_route_key key = {};
	__u64 *known, *count, zero = 0, genai = AS_GENAI_NONE;
	struct as_route *r;
	__u8 *kind;

	if (!c || !s)
		return AS_ROUTE_ID_OVERFLOW;
	r = &s->r;
	__builtin_memcpy(key.comm, c->comm, AS_COMM_LEN);
	key.route_hash = as_route_hash(r);
	known = bpf_map_lookup_elem(&service_routes, &key);
	if (known) {
		s->genai = *known;
		return key.route_hash;
	}
	if (genai_on && (kind = bpf_map_lookup_elem(&genai_routes, &key.route_hash)))
		genai = *kind;
	s->genai = genai;
	count = as_lookup_or_init(&service_route_count, key.comm, &zero, BPF_NOEXIST);
	if (!count)
		goto overflow;
	if (*count >= max_routes_per_service)
		goto overflow;
	if (bpf_map_update_elem(&routes, &key.route_hash, r, BPF_ANY)) {
		as_hook_count(AS_CNT_ROUTES_MAP_FULL);
		goto overflow;
	}
	if (bpf_map_update_elem(&service_routes, &key, &genai, BPF_NOEXIST) == 0)
		__sync_fetch_and_add(count, 1);
	return key.route_hash;
overflow:
	as_hook_count(AS_CNT_ROUTE_OVERFLOW);
	return AS_ROUTE_ID_OVERFLOW;
}


#endif
