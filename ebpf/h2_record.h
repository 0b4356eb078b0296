/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * HTTP/2 records as the exporter reads them (struct as_h2_rec and
 * as_h2_end), filled the same in the kernel (h2_handoff.bpf.h) and in the
 * unit tests.
 */
#ifndef APISCOPE_H2_RECORD_H
#define APISCOPE_H2_RECORD_H

#include "conn_types.h"

AS_INLINE void as_h2_rec_fill(struct as_h2_rec *r, const struct as_conn *c, const struct as_conn_key *key,
			      __u64 now, __u32 stream, __u8 kind, __u32 flags)
{
	r->conn = c->id;
	r->ns = now;
	r->tgid = key->tgid;
	r->fd = key->fd;
	r->stream = stream;
	r->len = 0;
	r->kind = kind;
	r->flags = flags | (c->h2_lost ? AS_H2R_LOST : 0) | (c->h2_mid ? AS_H2R_MIDSTREAM : 0);
}

/* A finished stream (st; AS_H2R_END), or the connection (st NULL,
 * AS_H2R_CLOSE). why: enum as_error << 16 | the RST_STREAM code. */
AS_INLINE void as_h2_end_fill(struct as_h2_end *e, const struct as_conn *c, const struct as_conn_key *key, __u64 now,
			      const struct as_h2_stream *st, __u32 stream, __u32 why)
{
	struct as_call *d = &e->call;

	__builtin_memset(d, 0, sizeof(*d));
	as_h2_rec_fill(&e->h, c, key, now, stream, st ? AS_H2R_END : AS_H2R_CLOSE, 0);
	d->tgid = key->tgid;
	d->peer_port = c->peer_port;
	d->local_port = c->local_port;
	d->direction = c->role == AS_ROLE_CLIENT ? AS_DIR_CLIENT : AS_DIR_SERVER;
	d->tls = c->tls;
	d->version = AS_VER_2;
	__builtin_memcpy(d->peer_addr, c->peer_addr, sizeof(d->peer_addr));
	__builtin_memcpy(d->comm, c->comm, AS_COMM_LEN);
	d->cgroup = c->cgroup;
	if (st) {
		d->start_ns = st->req_ns;
		d->duration_ns = st->resp_ns > st->req_ns ? st->resp_ns - st->req_ns : 0;
		d->req_bytes = st->req_bytes;
		d->resp_bytes = st->resp_bytes;
		if (st->upgraded) {
			d->route_id = c->h2_up_route;
			d->method = c->h2_up_method;
		}
		d->error = why >> 16;
	}
	e->end_ns = now;
	e->code = why & 0xffff;
	e->pad = 0;
}

#endif
