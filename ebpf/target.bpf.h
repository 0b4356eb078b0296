/* SPDX-License-Identifier: GPL-2.0 */
/* Which processes and sockets are measured: the first, cheapest checks. */
#ifndef APISCOPE_TARGET_BPF_H
#define APISCOPE_TARGET_BPF_H

#include "maps.bpf.h"
#include <bpf/bpf_core_read.h>

#define AS_S_IFMT 0170000
#define AS_S_IFSOCK 0140000
#define AS_AF_UNIX 1
#define AS_AF_INET 2
#define AS_AF_INET6 10
#define AS_SOCK_STREAM 1

static __always_inline bool as_in_cgroup_set(void)
{
	int level;

	for (level = 0; level < AS_MAX_TARGET_CGROUP_DEPTH; level++) {
		__u64 id = bpf_get_current_ancestor_cgroup_id(level);

		if (!id)
			return false;
		if (bpf_map_lookup_elem(&target_cgroups, &id))
			return true;
	}
	return false;
}

/* Kernel objects read through BTF pointers are plain loads (the JIT guards
 * them), where BPF_CORE_READ makes a helper call per field. A pointer the
 * kernel's BTF does not type (void *, an array of pointers) is made one with
 * bpf_rdonly_cast, which the verifier turns into a move. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __attribute__((section(".ksyms")));

/* The process's name: its main thread's comm. A thread's own name would split
 * a JVM's requests over "http-nio-8080-exec-1", "-exec-2", ... */
static __always_inline void as_process_comm(char *comm)
{
	struct task_struct *leader = bpf_get_current_task_btf()->group_leader;

	bpf_probe_read_kernel_str(comm, AS_COMM_LEN, leader->comm);
}

/* The cgroup a new connection's requests count under, for the exporter to
 * name its pod or container: the v2 cgroup, or where containers live in
 * cgroup v1 only (the process sits in the v2 root) its memory controller's
 * v1 cgroup, tagged AS_CGROUP_V1. Once per connection, never per request. */
static __always_inline __u64 as_workload_cgroup(void)
{
	__u64 id;

	if (!workload_cgroups)
		return 0;
	id = bpf_get_current_cgroup_id();
	if (id == cgroup2_root_id && cgroup1_memory &&
	    bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id)) {
		struct task_struct *t = bpf_get_current_task_btf();
		int i = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
		__u64 v1 = t->cgroups->subsys[i & 15]->cgroup->kn->id;

		if (v1)
			id = v1 | AS_CGROUP_V1;
	}
	return id;
}

/* The per-process part of the target decision: PID namespace, apiscope
 * itself, --target.pid and --target.comm. */
static __always_inline bool as_decide_process(__u32 tgid)
{
	if (filter_pidns) {
		struct bpf_pidns_info ns;

		/* fails for tasks outside apiscope's PID namespace */
		if (bpf_get_ns_current_pid_tgid(pidns_dev, pidns_ino, &ns, sizeof(ns)))
			return false;
		tgid = ns.tgid;
	}
	if (tgid == self_tgid)
		return false;
	if (filter_pid && !bpf_map_lookup_elem(&target_pids, &tgid))
		return false;
	if (filter_comm) {
		char comm[AS_COMM_LEN] = {};

		as_process_comm(comm);
		if (!bpf_map_lookup_elem(&target_comms, comm))
			return false;
	}
	return true;
}

/* The word of target_verdicts that holds tgid's verdict, NULL past pid_max. */
static __always_inline __u64 *as_verdict_word(__u32 tgid, __u32 *shift)
{
	__u32 idx = tgid / AS_VERDICTS_PER_WORD;

	*shift = (tgid % AS_VERDICTS_PER_WORD) * 2;
	return bpf_map_lookup_elem(&target_verdicts, &idx);
}

/* Forget tgid's verdict: it is decided again at its next syscall. */
static __always_inline void as_verdict_forget(__u32 tgid)
{
	__u32 shift;
	__u64 *w = as_verdict_word(tgid, &shift);

	if (w)
		__sync_fetch_and_and(w, ~(3ULL << shift));
}

/*
 * Is the calling process one we measure? This runs on every traced syscall
 * of every process, so with filters the per-process decision is cached by
 * tgid (an inlined array load); task_rename and process exit forget it.
 * Unset filters cost nothing. A process can change cgroup at any time, so
 * that check is not cached.
 */
static __always_inline bool as_target_process(__u32 tgid)
{
	if (filter_pidns || filter_pid || filter_comm) {
		__u32 shift, verdict = 0;
		__u64 *w = as_verdict_word(tgid, &shift);

		if (w)
			verdict = (*w >> shift) & 3;
		if (!verdict) {
			verdict = as_decide_process(tgid) ? AS_TARGET_YES : AS_TARGET_NO;
			/* atomic: other CPUs set their processes' bits in this word */
			if (w)
				__sync_fetch_and_or(w, (__u64)verdict << shift);
		}
		if (verdict != AS_TARGET_YES)
			return false;
	} else if (tgid == self_tgid) {
		return false;
	}
	if (filter_cgroup && !as_in_cgroup_set())
		return false;
	return true;
}

/* What a new connection learns from its socket. */
struct as_sock_info {
	__u8 peer_addr[16];
	__u16 peer_port;
	__u16 local_port;
};

/* The open file behind the current process's fd, or NULL: one helper call,
 * for the entry of the fd array. */
static __always_inline struct file *as_fd_file(__u32 fd)
{
	struct fdtable *fdt = bpf_get_current_task_btf()->files->fdt;
	struct file *f = NULL;

	if (!fdt || fd >= fdt->max_fds)
		return NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd]) || !f)
		return NULL;
	return bpf_rdonly_cast(f, bpf_core_type_id_kernel(struct file));
}

static __always_inline bool as_file_is_socket(struct file *f)
{
	return f && (f->f_inode->i_mode & AS_S_IFMT) == AS_S_IFSOCK;
}

/* Is fd a socket? For OpenSSL users: the files it reads are not. */
static __always_inline bool as_fd_is_socket(__u32 fd)
{
	return as_file_is_socket(as_fd_file(fd));
}

/*
 * Read the addresses of the socket behind fd. Returns -1 if fd is not a
 * stream socket, or not on a target port. Runs once per new connection.
 */
static __always_inline int as_socket_info(__u32 fd, struct as_sock_info *c)
{
	struct file *f = as_fd_file(fd);
	struct socket *sock;
	struct sock *sk;
	__u16 family;

	if (!as_file_is_socket(f))
		return -1;
	sock = bpf_rdonly_cast(f->private_data, bpf_core_type_id_kernel(struct socket));
	sk = sock->sk;
	if (!sk)
		return -1;
	family = sk->__sk_common.skc_family;
	if (family == AS_AF_INET || family == AS_AF_INET6) {
		if (sk->sk_type != AS_SOCK_STREAM)
			return -1;
		c->local_port = sk->__sk_common.skc_num;
		c->peer_port = __builtin_bswap16(sk->__sk_common.skc_dport);
		if (family == AS_AF_INET) {
			__u32 a = sk->__sk_common.skc_daddr;

			c->peer_addr[10] = 0xff;
			c->peer_addr[11] = 0xff;
			__builtin_memcpy(&c->peer_addr[12], &a, 4);
		} else {
			__u32 a[4] = {
				sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[0],
				sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[1],
				sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[2],
				sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[3],
			};

			__builtin_memcpy(c->peer_addr, a, sizeof(a));
		}
	} else if (family != AS_AF_UNIX) {
		return -1;
	}
	if (self_port && c->peer_port == self_port)
		return -1;
	if (filter_port && !bpf_map_lookup_elem(&target_ports, &c->local_port) &&
	    !bpf_map_lookup_elem(&target_ports, &c->peer_port))
		return -1;
	return 0;
}

#endif
