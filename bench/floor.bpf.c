// SPDX-License-Identifier: GPL-2.0
/* The cost floor: empty programs on exactly the hooks apiscope uses. */
#include "vmlinux_min.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint")
int floor_enter(void *ctx)
{
	return 0;
}

SEC("tracepoint")
int floor_exit(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_close")
int floor_close(void *ctx)
{
	return 0;
}

SEC("tracepoint/task/task_rename")
int floor_task_rename(void *ctx)
{
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int floor_process_exit(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
