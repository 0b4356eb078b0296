/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the parsers ask of the environment they run in. Three environments
 * bind it: the kernel (kernel_env.bpf.h, over maps and BPF helpers), the unit
 * tests and fuzzers (test/unit/bpf_harness.h) and the benchmarks'
 * parser driver (bench/parser_cost.cpp), the last two on top of user_env.h.
 * An environment defines the macros below before it includes a parser, and
 * defines the hook functions somewhere in the same program.
 */
#ifndef APISCOPE_PARSER_ENV_H
#define APISCOPE_PARSER_ENV_H

#include "conn_types.h"

/* AS_READ_USER(dst, len, src): copy len bytes from the traced process's
 * address src; 0 on success. */
#ifndef AS_READ_USER
#error "parser_env.h: define AS_READ_USER(dst, len, src)"
#endif
/* AS_CAPTURE_CFG: the struct as_capture_cfg in use (rodata in the kernel);
 * AS_CAPTURE_ON: whether any header is captured. */
#ifndef AS_CAPTURE_CFG
#error "parser_env.h: define AS_CAPTURE_CFG (a struct as_capture_cfg)"
#endif
#ifndef AS_CAPTURE_ON
#error "parser_env.h: define AS_CAPTURE_ON"
#endif
/* AS_CAP_START(s, slot, start_ns): the struct as_hdr_vals of capture slot
 * `slot` of connection s->key, reset for a message that starts at start_ns;
 * AS_CAP_FIND(s, slot): the same as it is. NULL if there is none. */
#ifndef AS_CAP_START
#error "parser_env.h: define AS_CAP_START(s, slot, start_ns)"
#endif
#ifndef AS_CAP_FIND
#error "parser_env.h: define AS_CAP_FIND(s, slot)"
#endif
/* AS_PARTIAL_GET(s, create): the struct as_partial of the stream being fed
 * (a start line cut short), created if asked; NULL if none. */
#ifndef AS_PARTIAL_GET
#error "parser_env.h: define AS_PARTIAL_GET(s, create)"
#endif
/* AS_GENAI_ON: LLM/MCP routes are configured. AS_GENAI_GET(s, slot,
 * start_ns, create): the struct as_genai_call of request slot `slot` of
 * s->key for the request that started at start_ns, reset if it was
 * another's; NULL if none. */
#ifndef AS_GENAI_ON
#error "parser_env.h: define AS_GENAI_ON"
#endif
#ifndef AS_GENAI_GET
#error "parser_env.h: define AS_GENAI_GET(s, slot, start_ns, create)"
#endif
/* AS_H2_ON: HTTP/2 is followed. AS_H2_SPILL(c, s, stream, create): the
 * struct as_h2_stream of stream `stream` of connection c (fed with s) kept
 * outside c (its slots were taken), made if asked (contents left to the
 * caller); NULL if none. AS_H2_UNSPILL(c, s, stream): forget that one;
 * nonzero if there was one. */
#ifndef AS_H2_ON
#error "parser_env.h: define AS_H2_ON"
#endif
#if !defined(AS_H2_SPILL) || !defined(AS_H2_UNSPILL)
#error "parser_env.h: define AS_H2_SPILL(c, s, stream, create) and AS_H2_UNSPILL(c, s, stream)"
#endif

/* The hooks: global functions in BPF, so the verifier checks each once. */
#ifdef __bpf__
#define AS_HOOK __attribute__((noinline))
#else
#define AS_HOOK static
#endif
/* Route id for the normalised route in s->r (applies the per-service cap);
 * sets s->genai. */
AS_HOOK __u64 as_hook_route(struct as_conn *c, struct as_scratch *s);
/* len body bytes at s->ubuf + off of the message being framed; called only
 * with AS_GENAI_ON, wraps as_genai_feed (genai_window.h). */
AS_HOOK int as_hook_body(struct as_conn *c, struct as_scratch *s, __u32 off, __u32 len);
/* A request/response pair is finished: s->rec. */
AS_HOOK int as_hook_record(struct as_conn *c, struct as_scratch *s);
/* One more of self-metric counter `counter` (enum as_counter). */
AS_HOOK int as_hook_count(__u32 counter);
/* HTTP/2: len header block bytes at s->ubuf + off of stream `stream` (flags:
 * enum as_h2_rec_flag) for the exporter's HPACK decoder. */
AS_HOOK int as_hook_h2_block(struct as_conn *c, struct as_scratch *s, __u32 off, __u32 len, __u32 flags);
/* HTTP/2: the blocks held back in c (c->h2_nheld of c->h2_held), handed
 * over alone; c->h2_nheld is 0 after. as_hook_h2_end and the connection's
 * close record hand them over first, too. */
AS_HOOK int as_hook_h2_held(struct as_conn *c, struct as_scratch *s);
/* HTTP/2: len DATA payload bytes at s->ubuf + off of the stream of the
 * frame being read; called only with AS_GENAI_ON, wraps as_h2_body. */
AS_HOOK int as_hook_h2_body(struct as_conn *c, struct as_scratch *s, __u32 off, __u32 len);
/* HTTP/2: stream `stream`, followed in st, ended (why: enum as_error << 16
 * | the RST_STREAM code); hand it over (the caller frees st). */
AS_HOOK int as_hook_h2_end(struct as_conn *c, struct as_scratch *s, struct as_h2_stream *st, __u32 stream,
			   __u32 why);

#endif
