/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The state the parsers keep: per stream (one direction of a connection),
 * per connection, and per CPU (struct as_scratch, the working memory of one
 * program run). Types only. The kernel keeps connections in the conns map;
 * the unit tests and the benchmarks hold them in plain memory.
 */
#ifndef APISCOPE_CONN_TYPES_H
#define APISCOPE_CONN_TYPES_H

#include "http1_start.h"
#include "http2_frame.h"
#include "route_norm.h"

#define AS_PIPELINE 8      /* requests awaiting a response per connection (power of 2) */
#define AS_MAX_ITEMS 16    /* framing steps per syscall buffer */
#define AS_MAX_HEAD 16384  /* longer heads are given up on */
#define AS_CHUNK_WINDOW 64 /* bytes copied to read a chunk-size line */
#define AS_H2_SLOTS 8      /* HTTP/2 streams open at once kept in the connection's own state */
#define AS_H2_RA 64        /* HTTP/2 bytes read ahead: a frame header and a short block after it */

/* State of the header scanner, carried across buffers. */
enum as_head_state {
	AS_HS_LINE_START = 0,
	AS_HS_EMPTY_CR,
	AS_HS_NAME,
	AS_HS_VALUE_CL,
	AS_HS_VALUE_TE,
	AS_HS_SKIP, /* rest of the line is of no interest */
	AS_HS_VALUE_CAP, /* the value of a captured header */
};

enum as_head_flags {
	AS_HF_HAS_CL = 1,
	AS_HF_CHUNKED = 2,
	AS_HF_BAD_CL = 4,
};

struct as_head_scan {
	__u64 content_length;
	__u8 state;
	__u8 name_pos;
	__u8 cand; /* bit 0: still may be content-length, bit 1: transfer-encoding */
	__u8 flags;
	__u8 te_match;
	__u8 cl_digits;
	__u16 pos; /* scan position, kept here for the verifier's sake */
	__u8 cdir;  /* capture list in use: 0 request headers, 1 response headers */
	__u8 ccand; /* byte machine: captured headers the name may still be */
	__u8 pad[6];
};

AS_INLINE void as_head_reset(struct as_head_scan *h)
{
	__builtin_memset(h, 0, sizeof(*h));
}

enum as_phase {
	AS_PH_IDLE = 0, /* expecting a start line */
	AS_PH_HEAD,
	AS_PH_BODY_LEN,
	AS_PH_BODY_CLOSE,
	AS_PH_CHUNK_SIZE,
	AS_PH_CHUNK_EXT,
	AS_PH_CHUNK_DATA,
	AS_PH_CHUNK_CR,
	AS_PH_CHUNK_LF,
	AS_PH_TRAILER,
};

enum as_role {
	AS_ROLE_UNKNOWN = 0,
	AS_ROLE_SERVER,
	AS_ROLE_CLIENT,
	AS_ROLE_OFF, /* upgraded (101, CONNECT): no longer HTTP/1 */
};

enum as_proto {
	AS_PROTO_H1 = 0,
	AS_PROTO_H2 = 1,
};

/* HTTP/2: where one direction's framing is, carried across reads. */
enum as_h2_phase {
	AS_H2P_HEAD = 0, /* a frame header, into hdr */
	AS_H2P_FIELDS,   /* the fixed fields before a payload, into hdr */
	AS_H2P_BODY,     /* the payload: left bytes */
	AS_H2P_PAD,      /* its padding: left bytes */
};

struct as_h2_dir {
	__u32 left;   /* bytes left of the phase (BODY, PAD) */
	__u32 frame;  /* payload bytes of the frame past the header */
	__u32 stream; /* the frame's stream */
	__u8 phase;
	__u8 type;
	__u8 flags;
	__u8 have;        /* bytes in hdr */
	__u8 need;        /* fixed field bytes (FIELDS) */
	__u8 padlen;      /* padding after the payload */
	__u8 block;       /* a header block is open: CONTINUATION frames to come */
	__u8 first;       /* the next fragment begins the block */
	__u8 block_flags; /* AS_H2R_END_STREAM, AS_H2R_PUSH of the open block */
	__u8 hdr[AS_H2_FRAME_HEAD];
	__u8 seen;        /* a frame header of this direction was read */
	__u8 pad;
};

/* What a framing step tells the loop that runs it. */
#define AS_STEP_MORE 1 /* go on with the next step at s->off */
#define AS_STEP_DONE 0 /* nothing more to do with this buffer */
#define AS_STEP_NOT_HTTP (-1)
#define AS_STEP_H2 2 /* the connection turned to HTTP/2: its framer takes the rest */

struct as_stream {
	__u64 remaining; /* body or chunk bytes still to come */
	__u64 body;      /* body bytes of the current message so far */
	__u32 head_bytes;
	__u8 phase;
	__u8 kind;      /* enum as_msg_kind of the current message */
	__u8 interim;   /* a 1xx response: not the final one */
	__u8 untracked; /* framed but not recorded (queue full, unmatched) */
	__u8 cap_slot;  /* where the head's captured headers go, or AS_CAP_NONE */
	__u8 partial;   /* a start line cut short waits in AS_PARTIAL_GET */
	__u8 pad[6];
	struct as_head_scan head;
};

struct as_pending {
	__u64 start_ns;
	__u64 route_id;
	__u64 req_bytes;
	__u8 method;
	__u8 genai; /* its route's genai value (AS_GENAI_NONE: not an LLM/MCP route) */
	__u8 version;
	__u8 pad[5];
};

struct as_conn {
	union {
		struct { /* HTTP/1 */
			struct as_stream in, out;
			struct as_pending q[AS_PIPELINE];
		};
		struct { /* HTTP/2 (as_h2_begin zeroes it, the held blocks' bytes aside) */
			struct as_h2_dir h2[2]; /* [0] written, [1] read */
			struct as_h2_stream h2s[AS_H2_SLOTS]; /* open streams; more in h2_streams */
			__u64 h2_up_route; /* stream 1 of an h2c upgrade: its HTTP/1 request's route */
			__u8 h2_up_method; /* and method */
			__u8 h2_spill;     /* streams of this connection in h2_streams (at most 255 counted) */
			__u8 h2_nheld;     /* blocks in h2_held */
			__u8 h2_pad[5];
			struct as_h2_held h2_held[AS_H2_HELD];
		};
	};
	__u64 resp_first_ns;
	__u64 deferred_bytes; /* a response that came before its request's body ended */
	__u8 peer_addr[16];
	char comm[AS_COMM_LEN];
	__u16 peer_port;
	__u16 local_port;
	__u16 resp_status;
	__u8 q_head;
	__u8 q_len;
	__u8 role;
	__u8 resp_active;
	__u8 tls; /* fed by the OpenSSL uprobes: the socket's own bytes are ciphertext */
	__u8 deferred; /* deferred_status/bytes wait for the request body to end */
	__u16 deferred_status;
	__u8 target_genai; /* the genai value of target_route */
	__u8 proto;        /* enum as_proto */
	__u64 target_hash;  /* the last request target's as_target_hash, 0 if none */
	__u64 target_route; /* and the route id it got */
	__u64 id;           /* when the connection was first seen (ns): tells it from an fd's earlier one */
	__u8 h2_mid;        /* HTTP/2 first seen after its preface */
	__u8 h2_lost;       /* an HTTP/2 record was lost since the last one handed over */
	__u8 upgrade;       /* a 101 answered the request at q_head: the role it had (as_h1_upgraded) */
	__u8 pad2[5];
	__u64 cgroup;       /* where its process ran when first seen (as_workload_cgroup), 0: not kept */
};

/* One finished request/response pair. */
struct as_record {
	__u64 duration_ns;
	__u64 route_id;
	__u64 req_bytes;
	__u64 resp_bytes;
	__u64 start_ns;      /* of the request: tells its capture slot's entry is its own */
	__u64 resp_start_ns; /* of the response, 0 if none came */
	__u16 status;
	__u8 method;
	__u8 error;
	__u8 slot; /* the request's capture slot */
	__u8 genai;
	__u8 version;
	__u8 pad;
};

/* The route a request target of a service got last (as_request_route). */
struct as_route_memo {
	__u64 target_hash; /* 0: none */
	__u64 route_id;
	__u64 comm[AS_COMM_LEN / 8];
	__u32 genai;
	__u32 pad;
};

/* HTTP/2: bytes of the buffer being fed read ahead (as_h2_ahead), len of
 * them from offset off. */
struct as_h2_win {
	__u32 off;
	__u32 len;
	__u8 b[AS_H2_RA + AS_H2_FRAME_HEAD]; /* a masked index plus a frame header's length stays inside */
};

/* Per-CPU working memory: too big for the 512-byte BPF stack. It outlives a
 * program run only for last_route. */
struct as_scratch {
	struct as_window w;
	struct as_route r;
	struct as_norm norm;
	struct as_start st;
	struct as_record rec;
	struct as_metric_key mkey; /* as_hook_record: the series rec counts in (off the stack) */
	struct as_label_text lt; /* a header label value being looked up */
	__u64 ubuf; /* user address of the buffer being fed */
	__u64 now;  /* ns, when the syscall returned */
	__u32 n;    /* bytes in the buffer */
	__u32 off;  /* as_feed: where its next step starts */
	__u32 dir_in;
	__u32 wl;   /* as_feed_start: bytes in the window */
	__u32 plen; /* of which kept from an earlier read */
	__u64 msg_ns; /* as_feed_start: when the message's first byte came */
	struct as_conn_key key; /* the connection being fed */
	__u32 genai; /* as_hook_route: the route's genai value */
	struct as_route_memo last_route;
};

AS_INLINE struct as_stream *as_stream_of(struct as_conn *c, __u32 dir_in)
{
	return dir_in ? &c->in : &c->out;
}

/* A capture entry reused for the message that starts at start_ns: only the
 * lengths and bits below gate the bytes left from an earlier one. */
AS_INLINE void as_cap_reset(struct as_hdr_vals *v, __u64 start_ns)
{
	v->start_ns = start_ns;
	v->present = 0;
	v->truncated = 0;
	v->cur = AS_CAP_NONE;
	v->path_len = 0;
	v->path_trunc = 0;
}

/* An LLM/MCP call entry reused for the request that started at start_ns (one
 * left by a call that never ended): only lengths gate the data. */
AS_INLINE void as_genai_reset(struct as_genai_call *g, __u64 start_ns)
{
	g->call.start_ns = start_ns;
	g->first_body_ns = 0;
	__builtin_memset(g->head_len, 0, sizeof(g->head_len));
	__builtin_memset(g->segs, 0, sizeof(g->segs));
	__builtin_memset(g->tail_len, 0, sizeof(g->tail_len));
}

#endif
