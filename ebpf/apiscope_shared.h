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
/* as_conn.cgroup: a cgroup v1 (memory controller) id, not a v2 one */
#define AS_CGROUP_V1 (1ULL << 63)
#define AS_ROUTE_LEN 128
#define AS_MAX_DURATION_BOUNDS 23 /* + the +Inf bucket = 24 */
#define AS_MAX_SIZE_BOUNDS 23
#define AS_BUCKETS (AS_MAX_DURATION_BOUNDS + 1)
#define AS_MAX_TARGET_CGROUP_DEPTH 16

/* Route ids with a meaning of their own; real routes hash to other values. */
#define AS_ROUTE_ID_OVERFLOW 1ULL /* past routes.max_per_service */

/* Header capture (config headers.request / headers.response). */
#define AS_MAX_HDRS 8       /* captured headers per direction */
#define AS_HDR_NAME_MAX 48  /* bytes of a captured header's name */
#define AS_HDR_VAL_MAX 128  /* bytes kept of a value (headers.value_max_bytes) */
#define AS_MAX_LABELS 4     /* headers that are also metric labels */
#define AS_PATH_MAX 256     /* bytes of the request target kept for the access log */
#define AS_CAP_NONE 0xff    /* no header value being copied */
#define AS_CAP_SLOT_RESP 8  /* capture slots 0-7: pending requests; 8: the response */

/* Label value ids with a meaning of their own; values hash to other ids. */
#define AS_LABEL_EMPTY 0ULL /* header absent or empty */
#define AS_LABEL_OTHER 1ULL /* past headers.max_label_values */

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

/* network_protocol_version; 0 when a request line was too long to show it. */
enum as_version {
	AS_VER_UNKNOWN = 0,
	AS_VER_1_0,
	AS_VER_1_1,
	AS_VER_2,
};

/* error_type values that no status code tells; 4xx/5xx come from the status. */
enum as_error {
	AS_ERR_NONE = 0,
	AS_ERR_CONN_CLOSED = 1, /* connection closed before a response came */
	AS_ERR_H2_RESET = 2,    /* HTTP/2: RST_STREAM; its error code says which */
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
	AS_CNT_LOG_SAMPLED,      /* access log: left out by sampling */
	AS_CNT_LOG_RATE_LIMITED, /* access log: over access_log.rate_limit_per_second */
	AS_CNT_LOG_BUFFER_FULL,  /* access log: ring buffer full (consumer behind) */
	AS_CNT_CAPTURE_MAP_FULL, /* headers not captured: capture map full */
	AS_CNT_LABEL_VALUES_MAP_FULL,
	AS_CNT_TLS_NO_FD,        /* TLS bytes whose socket could not be told */
	AS_CNT_EXEC_EVENTS_LOST, /* exec notifications for TLS attach lost (ring buffer full) */
	AS_CNT_GENAI_MAP_FULL,   /* LLM/MCP calls not inspected: genai_calls full */
	AS_CNT_GENAI_EVENTS_LOST, /* LLM/MCP calls lost: ring buffer full (exporter behind) */
	AS_CNT_H2_RECORDS_LOST,  /* HTTP/2 records not handed over: ring buffer full */
	AS_CNT_H2_STREAMS_FULL,  /* HTTP/2 streams not followed: h2_streams (past a connection's slots) full */
	AS_CNT_H2_FRAMING_LOST,  /* HTTP/2 frames no longer found on a connection */
	AS_CNT_LABEL_OVERFLOW,   /* + label index: values past max_label_values */
	AS_CNT_MAX = AS_CNT_LABEL_OVERFLOW + AS_MAX_LABELS,
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
	__u8 tls;           /* 1: the bytes came decrypted from OpenSSL (url_scheme https) */
	__u64 labels[AS_MAX_LABELS]; /* header label value ids (AS_LABEL_* or a hash) */
	__u8 version;       /* enum as_version */
	__u8 pad[7];
	__u64 cgroup;       /* the connection's cgroup (as_conn.cgroup) */
};
AS_STATIC_ASSERT(sizeof(struct as_metric_key) == 96, "metric key layout");

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
	union {
		char text[AS_ROUTE_LEN]; /* NUL-terminated */
		__u64 q[AS_ROUTE_LEN / 8]; /* for hashing a word at a time */
	};
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

/* A start line cut short in an earlier read: its bytes, until the rest comes. */
#define AS_PARTIAL_MAX 128 /* longer lines are parsed with what came first */
struct as_partial {
	__u64 first_ns; /* when its first byte came */
	__u32 len;
	__u32 pad;
	__u8 b[AS_PARTIAL_MAX];
};

/* An OpenSSL SSL object of a process, and the socket it was seen on. */
struct as_ssl_key {
	__u64 ssl;
	__u32 tgid;
	__u32 pad;
};

/* A header to capture: its name, lowercase. */
enum as_hdr_flags {
	AS_HDR_PRESENCE_ONLY = 1, /* a secret with redact: drop: only that it was there */
};

struct as_hdr_name {
	char name[AS_HDR_NAME_MAX];
	__u8 len;
	__u8 flags;
	__u8 pad[6];
};

struct as_label_cfg {
	__u8 dir;     /* 0: request header, 1: response header */
	__u8 hdr;     /* index in the capture list of that direction */
	__u8 product; /* keep the product token only (User-Agent: "curl/8.1" -> "curl") */
	__u8 pad;
};

/* What to capture, set by the exporter before load (rodata). */
struct as_capture_cfg {
	struct as_hdr_name hdr[2][AS_MAX_HDRS]; /* [0] request, [1] response */
	__u64 first_chars[2]; /* bit ((c | 0x20) & 63) set for the first byte of each name: a prefilter */
	struct as_label_cfg labels[AS_MAX_LABELS];
	__u8 n[2];
	__u8 n_labels;
	__u8 value_max; /* <= AS_HDR_VAL_MAX */
	__u8 include_query;
	__u8 pad[3];
};

/* Captured header values of one message, and the request target for the log. */
struct as_hdr_vals {
	__u64 start_ns;  /* of the message: an entry left from an earlier one is told apart */
	__u8 present;    /* bit per header seen */
	__u8 truncated;  /* bit per header cut at value_max (or path, bit 7 of path_trunc) */
	__u8 cur;        /* header whose value is being copied, or AS_CAP_NONE */
	__u8 lead;       /* still skipping the blanks before the value */
	__u16 wlen;      /* bytes written of the current value, trailing blanks included */
	__u16 path_len;
	__u8 path_trunc;
	__u8 pad[7];
	__u8 len[AS_MAX_HDRS];
	char val[AS_MAX_HDRS][AS_HDR_VAL_MAX];
	char path[AS_PATH_MAX];
};

struct as_cap_key {
	__u32 tgid;
	__u32 fd;
	__u32 slot; /* 0-7 pending requests, AS_CAP_SLOT_RESP */
};

/* One label value known to the kernel: (service, label, value hash) -> text. */
struct as_label_key {
	char comm[AS_COMM_LEN];
	__u32 label;
	__u32 pad;
	__u64 hash;
};
AS_STATIC_ASSERT(sizeof(struct as_label_key) == 32, "label key layout");

struct as_label_count_key {
	char comm[AS_COMM_LEN];
	__u32 label;
};

struct as_label_text {
	__u16 len;
	__u8 truncated;
	__u8 pad;
	char text[AS_HDR_VAL_MAX];
};

/* What the kernel hands over of one finished request/response pair (in the
 * access log's events and the LLM/MCP calls alike). */
struct as_call {
	__u64 start_ns; /* CLOCK_MONOTONIC, when the request began */
	__u64 duration_ns;
	__u64 route_id;
	__u64 req_bytes;
	__u64 resp_bytes;
	__u32 tgid;
	__u16 status;
	__u16 peer_port;
	__u16 local_port;
	__u8 method;
	__u8 error;
	__u8 direction;
	__u8 tls;
	__u8 version; /* enum as_version */
	__u8 pad;
	__u8 peer_addr[16];
	char comm[AS_COMM_LEN];
	__u64 cgroup; /* as_conn.cgroup */
};
AS_STATIC_ASSERT(sizeof(struct as_call) == 96, "call layout");

/*
 * LLM API and MCP calls (config genai): routes the exporter marks in the
 * genai_routes map get bounded windows of their bodies copied, for the
 * exporter to read the model, token usage, JSON-RPC method and tool from.
 * Per direction (0 request, 1 response): the first bytes of the first body
 * segment (head) and the last bytes of the last AS_GENAI_TAILS segments
 * (usage comes at the end of a stream). Bodies are never logged.
 */
#define AS_GENAI_HEAD 2048
#define AS_GENAI_TAIL 1024
#define AS_GENAI_TAILS 4 /* power of 2 */
#define AS_GENAI_PROTO_MAX 32

/* A call's genai value: 0 none, else 1 + the index of its route in the
 * exporter's table (which tells LLM operation and provider, or MCP). */
#define AS_GENAI_NONE 0
#define AS_GENAI_MAX_ROUTES 255

/* Request headers of an MCP call, indexes in the capture list (the exporter
 * appends those the user did not configure). AS_MAX_HDRS: not captured. */
struct as_genai_hdrs {
	__u8 session[2]; /* Mcp-Session-Id: [0] request, [1] response */
	__u8 proto;      /* MCP-Protocol-Version, request */
	__u8 pad[5];
};

/* One call: the kernel fills it as the bytes pass (map genai_calls) and
 * hands it to the exporter whole when the response ends (ring genai_events). */
struct as_genai_call {
	struct as_call call;  /* call.start_ns tells a stale entry apart */
	__u64 first_body_ns; /* first response body bytes, 0 if none: time to first chunk */
	__u8 kind; /* 1 + route index in the exporter's table */
	__u8 session_len[2];
	__u8 proto_len;
	__u8 pad[4];
	__u16 head_len[2];
	__u16 segs[2]; /* body segments seen, saturating */
	__u16 tail_len[2][AS_GENAI_TAILS];
	__u16 tail_seg[2][AS_GENAI_TAILS]; /* which segment each tail is the end of */
	char session[2][AS_HDR_VAL_MAX];
	char proto[AS_GENAI_PROTO_MAX];
	char head[2][AS_GENAI_HEAD];
	char tail[2][AS_GENAI_TAILS][AS_GENAI_TAIL];
};

#define AS_CAP_META 32 /* bytes of struct as_hdr_vals before its values */
AS_STATIC_ASSERT(__builtin_offsetof(struct as_hdr_vals, val) == AS_CAP_META, "capture layout");
#define AS_LOG_DATA_MAX (2 * AS_MAX_HDRS * AS_HDR_VAL_MAX + AS_PATH_MAX)

/*
 * One access log record, a request and its response, packed: only its first
 * AS_LOG_HEAD + bytes go through the ring. meta holds the request's and the
 * response's captures up to their values; data the value of each header
 * present (len[k] bytes, at most AS_HDR_VAL_MAX; the request's headers, then
 * the request's path, at most AS_PATH_MAX, then the response's headers).
 */
struct as_log_rec {
	struct as_call call;
	__u8 has_req; /* meta[0] and its bytes in data are valid */
	__u8 has_resp;
	__u16 bytes; /* of data */
	__u8 pad[4];
	__u8 meta[2][AS_CAP_META];
	__u8 data[AS_LOG_DATA_MAX];
};
#define AS_LOG_HEAD __builtin_offsetof(struct as_log_rec, data)

/*
 * HTTP/2: the kernel frames each direction of a connection (9-byte frame
 * headers, DATA bytes per stream, END_STREAM, RST_STREAM) and hands over, in
 * the ring h2_events, the header block bytes for the exporter's HPACK
 * decoders and one record per finished stream.
 */
enum as_h2_rec_kind {
	AS_H2R_BLOCK = 1, /* header block bytes: struct as_h2_rec, then len bytes */
	AS_H2R_END = 2,   /* a stream finished: struct as_h2_end */
	AS_H2R_CLOSE = 3, /* the connection is gone: struct as_h2_end, stream 0 */
	AS_H2R_GENAI = 4, /* body windows of a stream about to end: struct as_h2_rec, then struct as_genai_call */
	AS_H2R_HELD = 5,  /* held blocks alone: struct as_h2_rec, then len bytes of struct as_h2_held */
};

enum as_h2_rec_flag {
	AS_H2R_IN = 0x01,          /* read by the process (else written) */
	AS_H2R_FIRST = 0x02,       /* the bytes begin a header block */
	AS_H2R_END_HEADERS = 0x04, /* and end it */
	AS_H2R_END_STREAM = 0x08,  /* the block ends its side of the stream */
	AS_H2R_PUSH = 0x10,        /* a PUSH_PROMISE's block: it only changes the table */
	AS_H2R_MIDSTREAM = 0x20,   /* first seen after its preface: the tables are unknown */
	AS_H2R_LOST = 0x40,        /* records of this connection were lost before this one */
	AS_H2R_REQUEST = 0x80,     /* a block of the requests' direction (which end is which is known) */
};

/* One HTTP/2 stream being followed: in its connection's own state
 * (struct as_conn h2s), or past those slots in map h2_streams (struct
 * as_h2_spilled, key struct as_cap_key with the stream id in slot), whose
 * entries the exporter finishes when their connection closes. */
struct as_h2_stream {
	__u64 req_ns;     /* the request's first header byte */
	__u64 resp_ns;    /* the response's, 0 until then */
	__u64 req_bytes;  /* DATA payload, padding excluded */
	__u64 resp_bytes;
	__u32 id;         /* the stream id; 0: a free slot */
	__u8 genai;       /* enum as_h2_genai */
	__u8 upgraded;    /* stream 1 of an h2c upgrade: its request was HTTP/1 (as_conn h2_up_route) */
	__u8 pad[2];
};
AS_STATIC_ASSERT(sizeof(struct as_h2_stream) == 40, "h2 stream layout");

struct as_h2_spilled {
	__u64 conn; /* the connection's id: an entry of an fd's earlier connection is not its own */
	struct as_h2_stream st;
};

/* Whether a stream's body windows are kept for the exporter, which alone
 * knows its route (HPACK): those of every stream whose request body is JSON,
 * in genai_calls under slot AS_GENAI_H2_SLOT | stream id. */
enum as_h2_genai {
	AS_H2_GENAI_UNDECIDED = 0, /* no request body yet */
	AS_H2_GENAI_KEPT = 1,
	AS_H2_GENAI_NO = 2,
};
#define AS_GENAI_H2_SLOT 0x80000000u

#define AS_H2_CHUNK 4096 /* header block bytes in one record, at most */

struct as_h2_rec {
	__u64 conn; /* the connection's id (when it was first seen, ns) */
	__u64 ns;   /* when the syscall returned */
	__u32 tgid;
	__u32 fd;
	__u32 stream;
	__u16 len; /* bytes after the record's fixed part: AS_H2R_BLOCK its block; AS_H2R_HELD, END and
		    * CLOSE struct as_h2_held, to be read before the record itself */
	__u8 kind;
	__u8 flags;
};
AS_STATIC_ASSERT(sizeof(struct as_h2_rec) == 32, "h2 record layout");

/* A whole header block shorter than AS_H2_HELD_BYTES is held back in its
 * connection (struct as_conn h2_held, AS_H2_HELD of them) and goes with the
 * connection's next record: a request's blocks and its end are one ring
 * record, not three. */
#define AS_H2_HELD 2
#define AS_H2_HELD_BYTES 64
struct as_h2_held {
	__u64 ns;     /* as struct as_h2_rec's */
	__u32 stream;
	__u16 len;
	__u8 flags;
	__u8 pad;
	__u8 b[AS_H2_HELD_BYTES];
};
AS_STATIC_ASSERT(sizeof(struct as_h2_held) == 80, "h2 held block layout");

/* A finished stream, or (AS_H2R_CLOSE) the connection of streams still open. */
struct as_h2_end {
	struct as_h2_rec h;
	/* start_ns: the request's first header byte; duration_ns: to the
	 * response's (0 if none came); body bytes without padding; status 0 (the
	 * exporter decodes it); error AS_ERR_H2_RESET (code) or
	 * AS_ERR_CONN_CLOSED; method and route_id only for a stream 1 upgraded
	 * from HTTP/1 (h2c), whose request was HTTP/1 */
	struct as_call call;
	__u64 end_ns; /* the response's END_STREAM, or the reset */
	__u32 code;   /* RST_STREAM error code */
	__u32 pad;
};
AS_STATIC_ASSERT(sizeof(struct as_h2_end) == 144, "h2 end layout");

/* Go crypto/tls (go_tls.bpf.h): a call in flight, by goroutine (map
 * go_calls), and the socket under each *tls.Conn (map go_conns). */
struct as_go_key {
	__u32 tgid;
	__u32 pad;
	__u64 g; /* the goroutine (its g, in r14 under Go's register ABI) */
};

struct as_go_call {
	__u64 conn; /* the *tls.Conn */
	__u64 buf;
	__u64 len;
	__s32 fd;   /* the socket, once a syscall inside the call named it; -1 before */
	__u8 kind;  /* AS_TLS_READ, AS_TLS_WRITE or AS_TLS_HANDSHAKE */
	__u8 fed;   /* a Write's plaintext went to the parser (at its first socket write) */
	__u8 pad[2];
};

struct as_go_conn_key {
	__u32 tgid;
	__u32 pad;
	__u64 conn;
};

/* target_verdicts: tgids per 64-bit word, two bits each (maps.bpf.h). */
#define AS_VERDICTS_PER_WORD 32

#endif
