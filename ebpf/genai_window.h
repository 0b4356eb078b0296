/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * LLM API and MCP calls: bounded windows of their bodies kept for the
 * exporter (the first bytes of the first body segment, the last bytes of the
 * last few), so that it can read the model, token usage, JSON-RPC method and
 * tool. Bodies are never logged.
 */
#ifndef APISCOPE_GENAI_WINDOW_H
#define APISCOPE_GENAI_WINDOW_H

#include "parser_env.h"

/* The message being framed on st: the request slot it belongs to, or -1 if
 * it is not recorded (untracked, interim, unmatched). */
AS_INLINE int as_msg_slot(struct as_conn *c, struct as_stream *st)
{
	if (st->untracked || !c->q_len)
		return -1;
	if (st->kind == AS_MSG_REQUEST)
		return (c->q_head + c->q_len - 1) & (AS_PIPELINE - 1);
	if (st->interim || !c->resp_active)
		return -1;
	return c->q_head & (AS_PIPELINE - 1);
}

/* Keep what the exporter needs of len body bytes at user address src, the
 * next segment of direction dir: the first AS_GENAI_HEAD bytes of the first
 * segment, and the last AS_GENAI_TAIL bytes of every later one (and of the
 * first, if longer than the head) in a ring of AS_GENAI_TAILS. */
AS_INLINE void as_genai_copy(struct as_genai_call *g, __u32 dir, __u64 src, __u32 len, __u64 now)
{
	__u32 seg, n, t;

	dir &= 1;
	seg = g->segs[dir];
	if (dir && !g->first_body_ns)
		g->first_body_ns = now;
	if (seg < 0xffff)
		g->segs[dir] = seg + 1;
	if (!seg) {
		n = as_min(len, AS_GENAI_HEAD);
		g->head_len[dir] = AS_READ_USER(g->head[dir], n, src) ? 0 : n;
		if (len <= AS_GENAI_HEAD)
			return;
	}
	t = seg & (AS_GENAI_TAILS - 1);
	n = as_min(len, AS_GENAI_TAIL);
	g->tail_len[dir][t] = AS_READ_USER(g->tail[dir][t], n, src + len - n) ? 0 : n;
	g->tail_seg[dir][t] = seg;
}

/* Body bytes of the message being framed: kept if its route is an LLM or MCP
 * one. */
AS_INLINE int as_genai_feed(struct as_conn *c, struct as_scratch *s, __u32 off, __u32 len)
{
	struct as_stream *st = as_stream_of(c, s->dir_in);
	struct as_genai_call *g;
	int slot = as_msg_slot(c, st);

	if (slot < 0 || !len || !c->q[slot & (AS_PIPELINE - 1)].genai)
		return 0;
	slot &= AS_PIPELINE - 1;
	g = AS_GENAI_GET(s, slot, c->q[slot].start_ns, 1);
	if (g)
		as_genai_copy(g, st->kind == AS_MSG_RESPONSE, s->ubuf + off, len, s->now);
	return 0;
}


#endif
