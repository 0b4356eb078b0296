/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel side's maps and load-time settings (rodata, written by the
 * exporter between open and load: exporter/bpf/bpf_program.cpp). Declarations
 * only; what reads and writes them is in the headers named beside each group.
 */
#ifndef APISCOPE_MAPS_BPF_H
#define APISCOPE_MAPS_BPF_H

#include "conn_types.h"
#include <bpf/bpf_helpers.h>

/* Which processes and sockets are measured (target.bpf.h). */
const volatile __u32 self_tgid = 0;
const volatile __u16 self_port = 0; /* scrapes of apiscope are not the host's API */
const volatile bool filter_pid = false;
const volatile bool filter_comm = false;
const volatile bool filter_port = false;
const volatile bool filter_cgroup = false;
/* Sidecar mode: only processes of apiscope's own PID namespace, whose PIDs
 * (in --target.pid, self_tgid) are those of that namespace. */
const volatile bool filter_pidns = false;
const volatile __u64 pidns_dev = 0;
const volatile __u64 pidns_ino = 0;

/* Workload metadata (target.bpf.h as_workload_cgroup): keep each
 * connection's cgroup; the v2 root's id, and whether a v1 memory hierarchy
 * is mounted to look in when a process sits in that root. */
const volatile bool workload_cgroups = false;
const volatile __u64 cgroup2_root_id = 1;
const volatile bool cgroup1_memory = false;

/* Per-process target verdicts (see as_target_process): two bits a tgid,
 * 0 while undecided, in words of 32 processes. An array lookup the verifier
 * inlines: a hash lookup was most of what a syscall of a process apiscope
 * ignores cost it. The exporter sizes it from pid_max. */
enum { AS_TARGET_YES = 1, AS_TARGET_NO = 2 };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4194304 / AS_VERDICTS_PER_WORD + 1);
	__type(key, __u32);
	__type(value, __u64);
} target_verdicts SEC(".maps");

#define AS_TARGET_SET(name, key_type)                                                      \
	struct {                                                                           \
		__uint(type, BPF_MAP_TYPE_HASH);                                           \
		__uint(max_entries, 1024);                                                 \
		__type(key, key_type);                                                     \
		__type(value, __u8);                                                       \
	} name SEC(".maps")

AS_TARGET_SET(target_pids, __u32);
AS_TARGET_SET(target_comms, char[AS_COMM_LEN]);
AS_TARGET_SET(target_ports, __u16);
AS_TARGET_SET(target_cgroups, __u64);

/* Connections and the per-CPU working memory (conn_life.bpf.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct as_conn_key);
	__type(value, struct as_conn);
} conns SEC(".maps");

/* Open HTTP connections per process: at exit only processes that still have
 * some pay for a walk of the connection map. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u32);
} http_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct as_scratch);
} scratch SEC(".maps");

/* Start lines cut short, per (connection, direction): rare, so a small LRU. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct as_cap_key);
	__type(value, struct as_partial);
} partials SEC(".maps");

/* Self-metric counters (enum as_counter). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, AS_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Requests aggregated per key (metric_update.bpf.h), and routes with their
 * per-service cap (route_cap.bpf.h). */
const volatile __u64 max_routes_per_service = 1000;
const volatile bool percpu_metrics = false; /* which of the two metrics maps is used */
const volatile __u32 n_duration_bounds = 0;
const volatile __u64 duration_bounds_ns[AS_MAX_DURATION_BOUNDS] = {};
const volatile __u32 n_size_bounds = 0;
const volatile __u64 size_bounds[AS_MAX_SIZE_BOUNDS] = {};

/* One of the two is used (maps.percpu_values); the exporter shrinks the
 * other to one entry. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* memory as used */
	__uint(max_entries, 16384);
	__type(key, struct as_metric_key);
	__type(value, struct as_metric_val);
} metrics SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* memory as used */
	__uint(max_entries, 16384);
	__type(key, struct as_metric_key);
	__type(value, struct as_metric_val);
} metrics_percpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* memory as used */
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct as_route);
} routes SEC(".maps");

/* The routes each service has an id for: (comm, route hash) -> the route's
 * genai value. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* memory as used */
	__uint(max_entries, 65536);
	__type(key, struct as_service_route_key);
	__type(value, __u64);
} service_routes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* memory as used */
	__uint(max_entries, 4096);
	__type(key, char[AS_COMM_LEN]);
	__type(value, __u64);
} service_route_count SEC(".maps");

/* Header capture and header labels (header_capture.h, label_ids.bpf.h). */
const volatile bool capture_on = false;
const volatile struct as_capture_cfg capture_cfg = {};

/* Captured headers per (connection, slot): slots 0-7 follow the pending
 * requests, AS_CAP_SLOT_RESP the response. LRU: entries of connections gone
 * quietly make room; start_ns tells a left-over entry from the live one. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct as_cap_key);
	__type(value, struct as_hdr_vals);
} caps SEC(".maps");

/* Header label values per (service, label): the first max_label_values keep
 * their own id, as routes do. */
const volatile __u64 max_label_values = 50;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* memory as used */
	__uint(max_entries, 16384);
	__type(key, struct as_label_key);
	__type(value, struct as_label_text);
} label_values SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, struct as_label_count_key);
	__type(value, __u64);
} label_value_count SEC(".maps");

/* The access log: one event per request/response pair, only when it is on
 * (access_log.bpf.h). */
const volatile bool log_on = false;
const volatile __u64 log_sample_threshold = 1ULL << 32; /* sample_ratio * 2^32 */
const volatile __u64 log_rate_limit = 0;                /* events per second, 0: none */
const volatile __u64 log_wake_bytes = 0; /* a backlog the reader's pacing missed: wake it */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); /* set by the exporter: access_log.buffer_bytes */
} log_events SEC(".maps");

/* Where a log record is packed before it goes into the ring: per-CPU memory
 * stays in the cache, the ring's does not. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct as_log_rec);
} log_buf SEC(".maps");

struct as_log_rate {
	__u64 second;
	__u64 count;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct as_log_rate);
} log_rate SEC(".maps");

/* LLM and MCP calls (genai_window.h, genai_handoff.bpf.h). */
const volatile bool genai_on = false;
const volatile struct as_genai_hdrs genai_hdrs = {};

/* Routes whose calls are inspected: route hash -> genai value. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, __u8);
} genai_routes SEC(".maps");

/* Calls in flight, deleted when handed over; memory as used. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1024);
	__type(key, struct as_cap_key);
	__type(value, struct as_genai_call);
} genai_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} genai_events SEC(".maps");

/* HTTP/2 (http2_stream.h, h2_handoff.bpf.h). */
const volatile bool h2_on = false;
/* the exporter is woken once this much waits in h2_events (half of it):
 * below, it drains on its timer */
const volatile __u32 h2_wake_bytes = 0;

/* HTTP/2 streams followed past their connection's own slots, per
 * (connection, stream id): deleted when handed over; LRU: streams of
 * connections gone quietly make room. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct as_cap_key);
	__type(value, struct as_h2_spilled);
} h2_streams SEC(".maps");

/* Header block bytes and finished streams, for the exporter. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); /* set by the exporter: http2.buffer_bytes */
} h2_events SEC(".maps");

/* HTTPS through OpenSSL (tls.bpf.h). */
const volatile bool tls_on = false;

/* The OpenSSL call a thread is inside. */
enum as_tls_kind {
	AS_TLS_NONE = 0,
	AS_TLS_READ,     /* SSL_read: returns the byte count */
	AS_TLS_WRITE,    /* SSL_write */
	AS_TLS_READ_EX,  /* SSL_read_ex: returns 1, the count goes to *tls_count */
	AS_TLS_WRITE_EX, /* SSL_write_ex */
	AS_TLS_HANDSHAKE, /* Go's handshake: no plaintext, its syscalls name the socket */
};

/* Per thread, while it is inside an OpenSSL call (tls.bpf.h). */
struct as_stash {
	__u64 tls_ssl;
	__u64 tls_buf;
	__u64 tls_count; /* user address of the _ex calls' size_t result */
	__s32 tls_fd;    /* the socket under tls_ssl, -1 while unknown */
	__s32 last_read_fd; /* socket this thread last read: memory-BIO users read it before SSL_read */
	__u8 tls_kind;
	__u8 pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct as_stash);
} stash SEC(".maps");

/* Which socket each SSL object of a process is on, learned from the socket
 * syscall an SSL_read/SSL_write makes. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct as_ssl_key);
	__type(value, __s32);
} ssl_fds SEC(".maps");

/* Set once a Go crypto/tls call has been seen: until then the syscall path
 * does not look for Go calls. */
volatile __u32 go_seen = 0;

/* Go crypto/tls calls in flight, by goroutine: a goroutine that waits on
 * the network may wake on another thread. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct as_go_key);
	__type(value, struct as_go_call);
} go_calls SEC(".maps");

/* The socket under each *tls.Conn of a process: a Read served from what
 * crypto/tls already buffered makes no syscall. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct as_go_conn_key);
	__type(value, __s32);
} go_conns SEC(".maps");

/* New target processes, for the exporter to find OpenSSL in them. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 65536);
} exec_events SEC(".maps");

#endif
