/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel types apiscope's BPF programs touch, declared by hand so the
 * build never needs the build host's /sys/kernel/btf/vmlinux (container and CI
 * builds). preserve_access_index makes every field access a CO-RE relocation:
 * libbpf resolves it by name against the running kernel's BTF at load time,
 * so offsets here are irrelevant and fields inside the kernel's anonymous
 * unions are matched too. Add a field here only when a program reads it.
 */
#ifndef APISCOPE_VMLINUX_MIN_H
#define APISCOPE_VMLINUX_MIN_H

typedef unsigned char __u8;
typedef short int __s16;
typedef short unsigned int __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long int __s64;
typedef long long unsigned int __u64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
enum { false = 0, true = 1 };

enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_HASH = 5,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_TASK_STORAGE = 29,
	BPF_MAP_TYPE_RINGBUF = 27,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_EXIST = 2,
	BPF_F_NO_PREALLOC = 1,
	BPF_LOCAL_STORAGE_GET_F_CREATE = 1,
	BPF_RB_NO_WAKEUP = 1,
	BPF_RB_FORCE_WAKEUP = 2,
	BPF_RB_AVAIL_DATA = 0,
};

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

/* the numeric iterator kfuncs take (opaque: only its size matters) */
struct bpf_iter_num {
	__u64 __opaque[1];
} __attribute__((aligned(8)));

struct in6_addr {
	union {
		__u8 u6_addr8[16];
		__u32 u6_addr32[4];
	} in6_u;
};

struct sock_common {
	__be32 skc_daddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	struct in6_addr skc_v6_daddr;
};

struct sock {
	struct sock_common __sk_common;
	__u16 sk_type;
};

struct socket {
	short type;
	struct sock *sk;
};

struct inode {
	unsigned short i_mode;
};

struct file {
	struct inode *f_inode;
	void *private_data;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

/* a process's cgroups: the v1 memory controller's, for workload metadata */
struct kernfs_node {
	__u64 id;
};

struct cgroup {
	struct kernfs_node *kn;
};

struct cgroup_subsys_state {
	struct cgroup *cgroup;
};

struct css_set {
	struct cgroup_subsys_state *subsys[16];
};

enum cgroup_subsys_id {
	memory_cgrp_id = 4,
};

struct task_struct {
	int pid;
	int tgid;
	struct files_struct *files;
	struct task_struct *group_leader;
	char comm[16];
	unsigned int in_execve : 1;
	struct css_set *cgroups;
};

/* x86-64 user registers, as uprobe programs see them. */
struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip, cs,
		flags, sp, ss;
};

#pragma clang attribute pop

/* bpf_get_ns_current_pid_tgid() output (uapi). */
struct bpf_pidns_info {
	__u32 pid;
	__u32 tgid;
};

/* Classic syscall tracepoint records: their layout is tracefs ABI (see
 * events/syscalls/sys_enter_read/format), not a kernel struct, so no CO-RE. */
struct syscall_enter_ctx {
	__u64 common;
	__s32 nr;
	__s32 pad;
	__u64 args[6];
};

struct syscall_exit_ctx {
	__u64 common;
	__s32 nr;
	__s32 pad;
	__s64 ret;
};

/* tracefs record of task/task_rename (prctl(PR_SET_NAME), exec, /proc/PID/comm). */
struct task_rename_ctx {
	__u64 common;
	__s32 pid;
	char oldcomm[16];
	char newcomm[16];
};

#endif
