/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Connection lifetimes in the kernel: a connection is tracked from the first
 * bytes that could be HTTP on a stream socket, fed buffer by buffer, and
 * forgotten at close, at accept/connect on its fd, or with its process.
 */
#ifndef APISCOPE_CONN_LIFE_BPF_H
#define APISCOPE_CONN_LIFE_BPF_H

#include "conn_feed.h"
#include "h2_handoff.bpf.h"
#include "target.bpf.h"

static struct as_conn as_zero_conn = {}; /* larger than the BPF stack allows */

static __always_inline struct as_scratch *as_scratch_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch, &zero);
}

/* Working memory for bytes about to be parsed; only once there is work. */
static __always_inline struct as_scratch *as_scratch_for(struct as_conn_key *key, __u32 dir_in)
{
	struct as_scratch *s = as_scratch_get();

	if (s) {
		s->now = bpf_ktime_get_ns();
		s->dir_in = dir_in;
		s->key = *key;
	}
	return s;
}

/* Quick reject, on a connection's first n bytes at ubuf: an HTTP/1 message
 * starts with an uppercase method and a space, or "HTTP/"; HTTP/2 seen from
 * the middle of a connection with a plausible frame header. Returns the
 * protocol (AS_PROTO_H2 for the latter) or -1. */
static __always_inline int as_maybe_http(__u64 ubuf, __u64 n)
{
	__u8 b[AS_H2_FRAME_HEAD + 7] = {};
	__u32 len = n < sizeof(b) ? n : sizeof(b);

	if (!len || bpf_probe_read_user(b, len, (const void *)ubuf))
		return -1;
	if (as_could_start_http(b, len))
		return AS_PROTO_H1;
	return h2_on && as_could_be_h2(b, len) ? AS_PROTO_H2 : -1;
}

/* Forget a connection; the per-process count lets process exit skip the
 * walk of the connection map when nothing is left open. */
static __always_inline void as_conn_forget(struct as_conn_key *key, struct as_conn *c)
{
	__u32 *open;

	if (c->proto == AS_PROTO_H2)
		as_h2_close_rec(key, c);
	if (bpf_map_delete_elem(&conns, key))
		return;
	open = bpf_map_lookup_elem(&http_procs, &key->tgid);
	if (open && *open)
		__sync_fetch_and_sub(open, 1);
}

static __always_inline void as_close_conn(struct as_conn_key *key, struct as_conn *c)
{
	struct as_scratch *s;

	if (as_conn_in_flight(c) && (s = as_scratch_for(key, 0)))
		as_conn_close(c, s);
	as_conn_forget(key, c);
}

/* A connection seen for the first time: only if its first n bytes could be
 * HTTP and it is a stream socket, both checked before any map write. */
static __noinline struct as_conn *as_conn_new(struct as_conn_key *key, __u64 ubuf, __u64 n)
{
	struct as_sock_info si = {};
	struct as_conn *c;
	__u32 one = 1, *open;
	int proto = as_maybe_http(ubuf, n);

	if (proto < 0 || as_socket_info(key->fd, &si))
		return NULL;
	if (bpf_map_update_elem(&conns, key, &as_zero_conn, BPF_NOEXIST))
		return NULL;
	c = bpf_map_lookup_elem(&conns, key);
	if (!c)
		return NULL;
	__builtin_memcpy(c->peer_addr, si.peer_addr, sizeof(c->peer_addr));
	c->peer_port = si.peer_port;
	c->local_port = si.local_port;
	c->id = bpf_ktime_get_ns();
	if (proto == AS_PROTO_H2)
		as_h2_begin(c, AS_ROLE_UNKNOWN, 1); /* which end it is: from its first header block */
	as_process_comm(c->comm);
	c->cgroup = as_workload_cgroup();
	open = bpf_map_lookup_elem(&http_procs, &key->tgid);
	if (open)
		__sync_fetch_and_add(open, 1);
	else
		bpf_map_update_elem(&http_procs, &key->tgid, &one, BPF_ANY);
	return c;
}

/* Returns -1 if the connection was dropped: its first bytes were not HTTP. */
static __always_inline int as_feed_buf(struct as_conn_key *key, struct as_conn *c,
				       struct as_scratch *s, __u64 ubuf, __u64 n)
{
	s->ubuf = ubuf;
	s->n = n;
	if (as_feed(c, s) >= 0)
		return 0;
	as_conn_forget(key, c);
	return -1;
}

#endif
