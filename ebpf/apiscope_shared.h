/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Everything the kernel programs and the exporter both see: map keys and
 * values, enums and limits. Fixed-size types only, padding spelled out and
 * sizes asserted, because map keys are hashed byte for byte.
 */
#ifndef APISCOPE_SHARED_H
#define APISCOPE_SHARED_H

#ifdef __bpf__
#include "vmlinux_min.h"
#else
#include <linux/types.h>
#endif

#ifdef __cplusplus
#define AS_STATIC_ASSERT static_assert
#else
#define AS_STATIC_ASSERT _Static_assert
#endif

#define AS_COMM_LEN 16
#define AS_ROUTE_LEN 128
#define AS_MAX_DURATION_BOUNDS 23 /* + the +Inf bucket = 24 */
#define AS_MAX_SIZE_BOUNDS 23
#define AS_BUCKETS (AS_MAX_DURATION_BOUNDS + 1)
#define AS_MAX_TARGET_CGROUP_DEPTH 16

/* Route ids with a meaning of their own; real routes hash to other values. */
#define AS_ROUTE_ID_OVERFLOW 1ULL /* past routes.max_per_service */

enum as_direction {
	AS_DIR_SERVER = 0,
	AS_DIR_CLIENT = 1,
};

enum as_method {
	AS_METHOD_OTHER = 0, /* exported as _OTHER */
	AS_METHOD_GET,
	AS_METHOD_HEAD,
	AS_METHOD_POST,
	AS_METHOD_PUT,
	AS_METHOD_DELETE,
	AS_METHOD_CONNECT,
	AS_METHOD_OPTIONS,
	AS_METHOD_TRACE,
	AS_METHOD_PATCH,
	AS_METHOD_COUNT,
};

/* error_type values that no status code tells; 4xx/5xx come from the status. */
enum as_error {
	AS_ERR_NONE = 0,
	AS_ERR_CONN_CLOSED = 1, /* connection closed before a response came */
};

/* Self-metric counters, one slot each in a per-CPU array. */
enum as_counter {
	AS_CNT_METRICS_MAP_FULL = 0,
	AS_CNT_ROUTES_MAP_FULL,
	AS_CNT_PIPELINE_OVERFLOW,
	AS_CNT_UNMATCHED_RESPONSE,
	AS_CNT_FRAMING_LOST,
	AS_CNT_HEAD_TOO_LONG,
	AS_CNT_TOO_MANY_ITEMS,
	AS_CNT_ROUTE_OVERFLOW,
	AS_CNT_REQUESTS,
	AS_CNT_CONN_OPENED,
	AS_CNT_NOT_HTTP,
	AS_CNT_MAX,
};

struct as_metric_key {
	char comm[AS_COMM_LEN];
	__u64 route_id;
	__u8 peer_addr[16]; /* client side: the server, IPv4 as ::ffff:a.b.c.d */
	__u16 peer_port;    /* client side, host order; 0 on the server side */
	__u16 status;       /* 0 when no response came */
	__u8 direction;     /* enum as_direction */
	__u8 method;        /* enum as_method */
	__u8 error;         /* enum as_error */
	__u8 pad;
};
AS_STATIC_ASSERT(sizeof(struct as_metric_key) == 48, "metric key layout");

/* Buckets are per-bucket counts (not cumulative); index n_bounds is +Inf. */
struct as_metric_val {
	__u64 count;
	__u64 duration_ns_sum;
	__u64 req_bytes_sum;
	__u64 resp_bytes_sum;
	__u64 duration_bucket[AS_BUCKETS];
	__u64 req_size_bucket[AS_BUCKETS];
	__u64 resp_size_bucket[AS_BUCKETS];
};
AS_STATIC_ASSERT(sizeof(struct as_metric_val) == 32 + 3 * 8 * AS_BUCKETS, "metric value layout");

struct as_route {
	char text[AS_ROUTE_LEN];
};

/* One per (service, normalised route): which route id its requests count under. */
struct as_service_route_key {
	char comm[AS_COMM_LEN];
	__u64 route_hash;
};
AS_STATIC_ASSERT(sizeof(struct as_service_route_key) == 24, "service route key layout");

struct as_conn_key {
	__u32 tgid;
	__u32 fd;
};

#endif
