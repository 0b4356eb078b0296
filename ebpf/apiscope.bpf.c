// SPDX-License-Identifier: GPL-2.0
/*
 * The programs: the syscall tracepoints that hand what a process read or
 * wrote to the parser, the close and process lifetime tracepoints, and the
 * uprobes on OpenSSL (tls.bpf.h) and Go's crypto/tls (go_tls.bpf.h). Everything that decides what the bytes mean
 * is in the parser headers; this file only moves bytes.
 */
#include "vmlinux_min.h"
#include <bpf/bpf_helpers.h>

#include "conn_types.h"      /* the state: connection, stream, scratch */
#include "maps.bpf.h"        /* maps and load-time settings */
#include "kernel_env.bpf.h"  /* the kernel's bindings of parser_env.h */
#include "conn_feed.h"      /* the HTTP/1 and HTTP/2 framers */
#include "record.bpf.h"      /* what the parser's hooks do here */
#include "conn_life.bpf.h"   /* connections made, fed and forgotten */
#include "target.bpf.h"      /* which processes and sockets */
#include "tls.bpf.h"         /* the OpenSSL uprobes */
#include "go_tls.bpf.h"      /* the Go crypto/tls uprobes */

/* Node.js writes each chunk of a chunked body as four pieces (size, CRLF,
 * data, CRLF) and a burst of chunks in one writev. Pieces past these are
 * only counted as body bytes. */
#define AS_MAX_IOV 32
#define AS_IOV_BATCH 4 /* read in one copy (a power of 2) */

struct bpf_map;

struct as_iovec {
	__u64 base;
	__u64 len;
};

/*
 * x86-64 syscall numbers of the calls we follow. One exit program is
 * attached to all their tracepoints (see bpf_program.cpp): the verifier then
 * checks the parser once at load, not once per syscall.
 */
enum {
	AS_NR_READ = 0,
	AS_NR_WRITE = 1,
	AS_NR_READV = 19,
	AS_NR_WRITEV = 20,
	AS_NR_SENDFILE = 40,
	AS_NR_CONNECT = 42,
	AS_NR_ACCEPT = 43,
	AS_NR_SENDTO = 44,
	AS_NR_RECVFROM = 45,
	AS_NR_SENDMSG = 46,
	AS_NR_RECVMSG = 47,
	AS_NR_ACCEPT4 = 288,
};

enum as_io_kind {
	AS_IO_NONE = 0,
	AS_IO_BUF,      /* read/write/recvfrom/sendto */
	AS_IO_IOV,      /* readv/writev */
	AS_IO_MSG,      /* recvmsg/sendmsg */
	AS_IO_SENDFILE, /* body bytes with no user buffer */
	AS_IO_NEWFD,    /* accept/connect: a fresh connection on this fd */
};

/* How a followed syscall moves bytes (enum as_io_kind), and their
 * direction; AS_IO_NONE if it is not one. */
static __always_inline __u32 as_syscall_kind(__s32 nr, __u32 *dir_in)
{
	*dir_in = 0;
	switch (nr) {
	case AS_NR_READ:
	case AS_NR_RECVFROM:
		*dir_in = 1;
		return AS_IO_BUF;
	case AS_NR_WRITE:
	case AS_NR_SENDTO:
		return AS_IO_BUF;
	case AS_NR_READV:
		*dir_in = 1;
		return AS_IO_IOV;
	case AS_NR_WRITEV:
		return AS_IO_IOV;
	case AS_NR_RECVMSG:
		*dir_in = 1;
		return AS_IO_MSG;
	case AS_NR_SENDMSG:
		return AS_IO_MSG;
	case AS_NR_SENDFILE:
		return AS_IO_SENDFILE;
	case AS_NR_CONNECT:
	case AS_NR_ACCEPT:
	case AS_NR_ACCEPT4:
		return AS_IO_NEWFD;
	}
	return AS_IO_NONE;
}

/*
 * A followed syscall returned. Its arguments are still in the task's saved
 * user registers (the kernel returns them unchanged but for the result), so
 * no program runs at syscall entry: that halves the program runs per
 * syscall, and a syscall already under way when apiscope attached is read
 * like any other.
 */
static __always_inline int as_exit(__s32 nr, long ret)
{
	struct task_struct *task;
	struct as_conn_key key;
	struct as_stash *st;
	struct as_scratch *s;
	struct pt_regs *regs;
	struct as_conn *c;
	__u64 ubuf, n;
	__u32 kind, dir_in;

	/* a process apiscope ignores leaves here, before the syscall's kind is
	 * worked out: only one helper call (the tgid) runs for it */
	if (ret < 0 && !(nr == AS_NR_CONNECT && ret == -115 /* EINPROGRESS */))
		return 0;
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	if (!as_target_process(key.tgid))
		return 0;
	kind = as_syscall_kind(nr, &dir_in);
	if (kind == AS_IO_NONE)
		return 0;
	task = bpf_get_current_task_btf();
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (!regs)
		return 0;
	/* x86-64 syscall arguments: fd, buffer (or iovec, msghdr), count */
	key.fd = regs->di;
	ubuf = regs->si;
	n = regs->dx;
	if (kind == AS_IO_NEWFD) {
		/* accept/connect: whatever we knew of an earlier socket on this fd is stale */
		if (nr != AS_NR_CONNECT)
			key.fd = ret; /* accept returns the new fd */
		c = bpf_map_lookup_elem(&conns, &key);
		if (c)
			as_close_conn(&key, c);
		return 0;
	}
	c = bpf_map_lookup_elem(&conns, &key);
	/* a plaintext HTTP connection already known is not OpenSSL's: no need
	 * to look at the thread's TLS state (a helper call per syscall) */
	if (tls_on && ret > 0 && (!c || c->tls)) {
		/* which sockets a thread's SSL calls are on: the one read inside
		 * the call, or for memory BIOs the one it last read, also before
		 * its first SSL call (the thread's state is made then) */
		bool sock = false, known = false; /* known: sock says whether fd is a socket */

		st = bpf_task_storage_get(&stash, task, 0, 0);
		if (dir_in && (st || !c)) {
			sock = nr == AS_NR_RECVFROM || kind == AS_IO_MSG || (st && key.fd == st->last_read_fd) ||
			       as_fd_is_socket(key.fd);
			known = true;
			if (sock && !st)
				st = bpf_task_storage_get(&stash, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
			if (sock && st)
				st->last_read_fd = key.fd;
		}
		if (st && st->tls_kind) {
			/* ciphertext of the SSL call in progress, or a file OpenSSL reads */
			if (sock || key.fd == st->tls_fd || (!known && as_fd_is_socket(key.fd)))
				as_tls_learn_fd(st, key.tgid, key.fd);
			return 0;
		}
		/* a goroutine inside crypto/tls: its socket, and ciphertext */
		if (go_seen && (sock || (!known && as_fd_is_socket(key.fd))) &&
		    as_go_learn_fd(key.tgid, regs->r14, key.fd, dir_in))
			return 0;
	}

	if (c && c->tls && ret > 0)
		return 0; /* ciphertext: the uprobes feed this connection's plaintext */
	if (ret == 0 || kind == AS_IO_SENDFILE) {
		/* EOF ends a close-delimited body; sendfile moves body bytes */
		if (!c || !(s = as_scratch_for(&key, dir_in)))
			return 0;
		if (kind == AS_IO_SENDFILE)
			as_feed_opaque(c, s, 0, ret);
		else if (dir_in)
			as_feed_eof(c, s, 1);
		return 0;
	}
	if (kind == AS_IO_BUF) {
		if (!c && !(c = as_conn_new(&key, ubuf, ret)))
			return 0;
		if (!(s = as_scratch_for(&key, dir_in)))
			return 0;
		as_feed_buf(&key, c, s, ubuf, ret);
		return 0;
	}

	/* iovec based: msghdr holds the iovec array at offset 16, its length at 24 */
	if (kind == AS_IO_MSG) {
		__u64 mh[2];

		if (bpf_probe_read_user(mh, sizeof(mh), (const void *)(ubuf + 16)))
			return 0;
		ubuf = mh[0];
		n = mh[1];
	}
	{
		/* the first iovecs in one read: nginx writes a response as head and body */
		struct as_iovec iov[AS_IOV_BATCH], one;
		__u32 batch = n < AS_IOV_BATCH ? n : AS_IOV_BATCH;
		__u64 left = ret;
		int i;

		if (!batch || bpf_probe_read_user(iov, batch * sizeof(iov[0]), (const void *)ubuf))
			return 0;
		if (!c) {
			/* the first bytes are those of the first iovec that has any */
			__u64 first = 0, first_len = 0;

			for (i = 0; i < AS_IOV_BATCH; i++)
				if (i < batch && !first_len && iov[i].len) {
					first = iov[i].base;
					first_len = iov[i].len < left ? iov[i].len : left;
				}
			if (!(c = as_conn_new(&key, first, first_len)))
				return 0;
		}
		if (!(s = as_scratch_for(&key, dir_in)))
			return 0;
		for (i = 0; i < AS_MAX_IOV; i++) {
			__u64 len;

			if (i >= n || !left)
				break;
			if (i < AS_IOV_BATCH)
				one = iov[i & (AS_IOV_BATCH - 1)];
			else if (bpf_probe_read_user(&one, sizeof(one), (const void *)(ubuf + i * sizeof(one))))
				break;
			len = one.len < left ? one.len : left;
			if (!len)
				continue;
			if (as_feed_buf(&key, c, s, one.base, len))
				return 0;
			left -= len;
		}
		if (left)
			as_feed_opaque(c, s, dir_in, left);
	}
	return 0;
}

SEC("tracepoint")
int syscall_exit(struct syscall_exit_ctx *ctx)
{
	return as_exit(ctx->nr, ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_close")
int enter_close(struct syscall_enter_ctx *ctx)
{
	struct as_conn_key key = {
		.tgid = bpf_get_current_pid_tgid() >> 32,
		.fd = ctx->args[0],
	};
	struct as_conn *c = bpf_map_lookup_elem(&conns, &key);

	if (c)
		as_close_conn(&key, c);
	return 0;
}

/* A renamed process may stop or start being a target (--target.comm). */
SEC("tracepoint/task/task_rename")
int task_rename(struct task_rename_ctx *ctx)
{
	__u32 pid = ctx->pid;
	char comm[AS_COMM_LEN] = {};

	as_verdict_forget(pid);
	/* a process naming itself into the targets: the TLS probes look at it
	 * as at a new process (the tracepoint fires before comm changes). Not
	 * the name an exec gives: sched_process_exec tells of that one, and a
	 * second word would have the exporter attach twice. */
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	if (tls_on && filter_comm && pid == bpf_get_current_pid_tgid() >> 32 &&
	    !BPF_CORE_READ_BITFIELD_PROBED(task, in_execve)) {
		/* up to its NUL only: prctl(PR_SET_NAME) hands the tracepoint a
		 * kernel stack buffer whose bytes past the NUL are left over from
		 * earlier calls, and the map key is all 16 bytes */
		bpf_probe_read_kernel_str(comm, sizeof(comm), ctx->newcomm);
		if (bpf_map_lookup_elem(&target_comms, comm))
			as_exec_event(pid);
	}
	return 0;
}

static long as_reap_conn(struct bpf_map *map, struct as_conn_key *key, struct as_conn *c,
			 __u32 *tgid)
{
	if (key->tgid == *tgid)
		as_close_conn(key, c);
	return 0;
}

/* The kernel closes an exiting process's fds without close(2): flush them here. */
SEC("tracepoint/sched/sched_process_exit")
int process_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, *open;

	if ((__u32)id != tgid)
		return 0;
	as_verdict_forget(tgid); /* the PID may be reused */
	open = bpf_map_lookup_elem(&http_procs, &tgid);
	if (!open)
		return 0;
	if (*open)
		bpf_for_each_map_elem(&conns, as_reap_conn, &tgid, 0);
	bpf_map_delete_elem(&http_procs, &tgid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
