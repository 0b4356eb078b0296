/* SPDX-License-Identifier: GPL-2.0 */
/*
 * HTTP/2 records to the exporter (ring h2_events): header block bytes, in
 * order per connection, for its HPACK decoders; a finished stream; a
 * connection gone. The exporter drains the ring on a timer and before every
 * scrape, and is woken only when the ring is half full. A record the ring
 * has no room for is counted, and the next record of that connection says
 * so (AS_H2R_LOST): its decoders can no longer know its tables.
 */
#ifndef APISCOPE_H2_HANDOFF_BPF_H
#define APISCOPE_H2_HANDOFF_BPF_H

#include "kernel_env.bpf.h"
#include "h2_record.h"
#include "parser_env.h"

static __always_inline void as_h2_lost_rec(struct as_conn *c)
{
	c->h2_lost = 1;
	as_count(AS_CNT_H2_RECORDS_LOST);
}

/* Submitted without a wake-up: the exporter drains the ring on its timer;
 * under a burst, the record of size bytes that fills it past half wakes it
 * (that one only: a wake-up is work for this CPU too). */
static __always_inline void as_h2_submit(void *r, __u32 size)
{
	__u64 avail = bpf_ringbuf_query(&h2_events, BPF_RB_AVAIL_DATA);

	bpf_ringbuf_submit(r, avail >= h2_wake_bytes && avail < h2_wake_bytes + size ? BPF_RB_FORCE_WAKEUP
										      : BPF_RB_NO_WAKEUP);
}

__attribute__((noinline)) int as_hook_h2_block(struct as_conn *c, struct as_scratch *s, __u32 off, __u32 len,
					       __u32 flags)
{
	const __u32 head = sizeof(struct as_h2_rec);
	struct as_h2_rec *r;
	__u32 size;
	long err = 0;

	if (!c || !s || len > AS_H2_CHUNK)
		return 0;
	/* four sizes of record: most blocks after a connection's first are a
	 * few dozen bytes (the verifier wants each size a constant) */
	if (len <= 64 - head) {
		size = 64;
		r = bpf_ringbuf_reserve(&h2_events, 64, 0);
	} else if (len <= 256 - head) {
		size = 256;
		r = bpf_ringbuf_reserve(&h2_events, 256, 0);
	} else if (len <= 1024 - head) {
		size = 1024;
		r = bpf_ringbuf_reserve(&h2_events, 1024, 0);
	} else {
		size = head + AS_H2_CHUNK;
		r = bpf_ringbuf_reserve(&h2_events, head + AS_H2_CHUNK, 0);
	}
	if (r && len)
		err = bpf_probe_read_user(r + 1, len & (AS_H2_CHUNK * 2 - 1), (const void *)(s->ubuf + off));
	if (!r) {
		as_h2_lost_rec(c);
		return 0;
	}
	as_h2_rec_fill(r, c, &s->key, s->now, c->h2[s->dir_in & 1].stream, AS_H2R_BLOCK, flags);
	r->len = len;
	if (err) {
		bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);
		as_h2_lost_rec(c);
		return 0;
	}
	as_h2_submit(r, size);
	c->h2_lost = 0;
	return 0;
}

/* The held blocks after a record's fixed part, at to (room for all of them
 * reserved); its header's len says how many bytes of them. to is typed: a
 * copy through void * would be made a byte at a time. */
static __always_inline void as_h2_put_held(struct as_h2_rec *h, struct as_h2_held *to, struct as_conn *c)
{
	__builtin_memcpy(to, c->h2_held, sizeof(c->h2_held));
	h->len = (c->h2_nheld & (AS_H2_HELD * 2 - 1)) * sizeof(struct as_h2_held);
	c->h2_nheld = 0;
}

__attribute__((noinline)) int as_hook_h2_held(struct as_conn *c, struct as_scratch *s)
{
	struct as_h2_rec *r;

	if (!c || !s)
		return 0;
	r = bpf_ringbuf_reserve(&h2_events, sizeof(*r) + sizeof(c->h2_held), 0);
	if (!r) {
		c->h2_nheld = 0;
		as_h2_lost_rec(c);
		return 0;
	}
	as_h2_rec_fill(r, c, &s->key, s->now, 0, AS_H2R_HELD, 0);
	as_h2_put_held(r, (struct as_h2_held *)(r + 1), c);
	as_h2_submit(r, sizeof(*r) + sizeof(c->h2_held));
	c->h2_lost = 0;
	return 0;
}

__attribute__((noinline)) int as_hook_h2_body(struct as_conn *c, struct as_scratch *s, __u32 off, __u32 len)
{
	if (!c || !s)
		return 0;
	return as_h2_body(c, s, off, len);
}

/* The body windows kept of a stream (as_h2_body), just before its end
 * record; the exporter reads them if its route is an LLM or MCP one. */
static __always_inline void as_h2_genai_rec(struct as_conn *c, struct as_scratch *s, struct as_h2_stream *st,
					    __u32 stream)
{
	struct as_cap_key k = {.tgid = s->key.tgid, .fd = s->key.fd, .slot = AS_GENAI_H2_SLOT | stream};
	struct as_genai_call *g = as_genai_get(&s->key, k.slot, st->req_ns, false);
	struct as_h2_rec *r;

	if (!g)
		return;
	r = bpf_ringbuf_reserve(&h2_events, sizeof(*r) + sizeof(*g), 0);
	if (r) {
		as_h2_rec_fill(r, c, &s->key, s->now, stream, AS_H2R_GENAI, 0);
		if (bpf_probe_read_kernel(r + 1, sizeof(*g), g))
			bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);
		else
			as_h2_submit(r, sizeof(*r) + sizeof(*g));
	} else {
		as_count(AS_CNT_GENAI_EVENTS_LOST);
	}
	bpf_map_delete_elem(&genai_calls, &k);
}

__attribute__((noinline)) int as_hook_h2_end(struct as_conn *c, struct as_scratch *s, struct as_h2_stream *st,
					     __u32 stream, __u32 why)
{
	struct as_h2_end *e;
	__u8 held;

	if (!c || !s || !st)
		return 0;
	if (st->genai == AS_H2_GENAI_KEPT) {
		if (c->h2_nheld) /* they come before the windows too */
			as_hook_h2_held(c, s);
		as_h2_genai_rec(c, s, st, stream);
	}
	held = c->h2_nheld;
	if (held)
		e = bpf_ringbuf_reserve(&h2_events, sizeof(*e) + sizeof(c->h2_held), 0);
	else
		e = bpf_ringbuf_reserve(&h2_events, sizeof(*e), 0);
	if (!e) {
		c->h2_nheld = 0;
		as_h2_lost_rec(c);
		return 0;
	}
	as_h2_end_fill(e, c, &s->key, s->now, st, stream, why);
	if (held) {
		as_h2_put_held(&e->h, (struct as_h2_held *)(e + 1), c);
		as_h2_submit(e, sizeof(*e) + sizeof(c->h2_held));
	} else {
		as_h2_submit(e, sizeof(*e));
	}
	c->h2_lost = 0;
	return 0;
}

/* The connection is forgotten: the exporter finishes its open streams. */
static __always_inline void as_h2_close_rec(struct as_conn_key *key, struct as_conn *c)
{
	const __u32 size = sizeof(struct as_h2_end) + sizeof(c->h2_held);
	struct as_h2_end *e = bpf_ringbuf_reserve(&h2_events, size, 0);

	if (!e) {
		as_count(AS_CNT_H2_RECORDS_LOST);
		return;
	}
	as_h2_end_fill(e, c, key, bpf_ktime_get_ns(), 0, 0, 0);
	as_h2_put_held(&e->h, (struct as_h2_held *)(e + 1), c);
	as_h2_submit(e, size);
}

#endif
