// Attaches the empty programs of floor.bpf.c to the hooks apiscope uses and
// waits for SIGINT/SIGTERM: the baseline apiscope's overhead is measured against.
//
// usage: bench_floor [--enter] [--raw] [--pid] [--tls] [--read TGID...] [--count TGID...] [--go PATH OFFSET...]
// --enter also attaches to the syscalls' entry tracepoints, as apiscope did
//         until it read the arguments at exit (the floor of the earlier records);
// --raw   one BTF raw tracepoint on every syscall's exit instead of the
//         followed syscalls' exit tracepoints;
// --pid   the exit program reads whose syscall it is and leaves: the least a
//         per-process filter costs;
// --read  the exit program does for the reads and writes of up to four
//         processes (the TGIDs after it) the least a design that reads
//         message heads does: arguments, connection lookup, a clock read,
//         a copy of the first 256 bytes;
// --count TGID...  the read floor plus the least an exact count by route and
//         status adds: a new connection's socket checked, each head's end
//         found, one series entry per response with its count, latency sum
//         and bucket, the connection forgotten at close (floor.bpf.c);
// --tls   empty uprobes on the system libssl's SSL_read/SSL_write(_ex), entry
//         and return, as apiscope attaches them;
// --go PATH OFFSET...  empty uprobes at those file offsets of a Go executable
//         (the sites apiscope probes: `build/test/go_sites --offsets PATH`).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "floor_bpf.skel.h"

static const char *syscalls[] = {"read",    "write",   "readv",   "writev",     "recvfrom", "sendto",
				  "recvmsg", "sendmsg", "sendfile64", "accept", "accept4", "connect"};
static const char *ssl_functions[] = {"SSL_read", "SSL_write", "SSL_read_ex", "SSL_write_ex"};
static const char *libssl = "/usr/lib/x86_64-linux-gnu/libssl.so.3";

/* Empty uprobes at the file offsets after "--go PATH" (the sites apiscope
 * probes in a Go executable). */
static int attach_go(struct floor_bpf *skel, int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "--go"))
			continue;
		for (int j = i + 2; j < argc && argv[j][0] != '-'; j++) {
			LIBBPF_OPTS(bpf_uprobe_opts, opts);

			if (!bpf_program__attach_uprobe_opts(skel->progs.floor_tls_enter, -1, argv[i + 1],
							     strtoull(argv[j], NULL, 0), &opts)) {
				fprintf(stderr, "floor: cannot attach at %s in %s\n", argv[j], argv[i + 1]);
				return 1;
			}
		}
	}
	return 0;
}

static int has(int argc, char **argv, const char *opt)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], opt))
			return 1;
	return 0;
}

static int attach_tls(struct floor_bpf *skel)
{
	for (size_t i = 0; i < sizeof(ssl_functions) / sizeof(ssl_functions[0]); i++) {
		for (int ret = 0; ret <= 1; ret++) {
			LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = ssl_functions[i], .retprobe = ret);

			if (!bpf_program__attach_uprobe_opts(ret ? skel->progs.floor_tls_return
							      : skel->progs.floor_tls_enter,
							  -1, libssl, 0, &opts)) {
				fprintf(stderr, "floor: cannot attach to %s in %s\n", ssl_functions[i], libssl);
				return 1;
			}
		}
	}
	return 0;
}

/* Connections of the read floor that had a head copied: their time is set. */
static int heads_copied(struct floor_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.floor_conns), n = 0;
	__u64 key, next, *prev = NULL, when[2]; /* the key is {tgid, fd}; the value starts with the time */

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (!bpf_map_lookup_elem(fd, &next, when) && when[0])
			n++;
		key = next;
		prev = &key;
	}
	return n;
}

int main(int argc, char **argv)
{
	int enter = has(argc, argv, "--enter"), raw = has(argc, argv, "--raw"), pid = has(argc, argv, "--pid"),
	    count = has(argc, argv, "--count");
	struct floor_bpf *skel = floor_bpf__open();
	struct bpf_program *exit_prog;
	sigset_t sigs;
	int sig, stats_fd, copied, read = 0;

	if (skel) {
		int max_targets = sizeof(skel->rodata->target_tgids) / sizeof(skel->rodata->target_tgids[0]);

		skel->rodata->target_tgids[0] = 1; /* without --read: init, nothing the benchmarks run */
		for (int i = 1, n = 0; i < argc; i++) {
			if (!strcmp(argv[i], "--read") || !strcmp(argv[i], "--count"))
				read = 1;
			else if (argv[i][0] == '-' && read)
				break; /* the TGIDs end at the next option */
			else if (read && argv[i][0] != '-' && n < max_targets)
				skel->rodata->target_tgids[n++] = strtoul(argv[i], NULL, 10);
		}
		bpf_program__set_autoattach(skel->progs.floor_raw_exit, raw);
		bpf_program__set_autoattach(skel->progs.floor_close, !count);
		bpf_program__set_autoattach(skel->progs.floor_tls_enter, 0);
		bpf_program__set_autoattach(skel->progs.floor_tls_return, 0);
	}
	if (!skel || floor_bpf__load(skel)) {
		fprintf(stderr, "floor: loading the empty programs failed\n");
		return 1;
	}
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME); /* as apiscope does by default */
	exit_prog = count ? skel->progs.floor_exit_count
		    : read ? skel->progs.floor_exit_read : pid ? skel->progs.floor_exit_pid : skel->progs.floor_exit;
	for (size_t i = 0; i < sizeof(syscalls) / sizeof(syscalls[0]); i++) {
		char tp[64];

		snprintf(tp, sizeof(tp), "sys_enter_%s", syscalls[i]);
		if (enter && !bpf_program__attach_tracepoint(skel->progs.floor_enter, "syscalls", tp))
			return 1;
		snprintf(tp, sizeof(tp), "sys_exit_%s", syscalls[i]);
		if (!raw && !bpf_program__attach_tracepoint(exit_prog, "syscalls", tp))
			return 1;
	}
	if (count && !bpf_program__attach_tracepoint(skel->progs.floor_close_count, "syscalls", "sys_enter_close"))
		return 1;
	if (floor_bpf__attach(skel) || (has(argc, argv, "--tls") && attach_tls(skel)) || attach_go(skel, argc, argv))
		return 1;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	printf("ready\n");
	fflush(stdout);
	sigwait(&sigs, &sig);
	if (count) { /* its connections are gone at close: what it counted */
		struct { __u32 tgid, status; __u64 path; } k;

		copied = !bpf_map_get_next_key(bpf_map__fd(skel->maps.floor_series), NULL, &k);
	} else {
		copied = read ? heads_copied(skel) : 0;
	}
	floor_bpf__destroy(skel);
	if (stats_fd >= 0)
		close(stats_fd);
	if (read && !copied) {
		/* a floor that did nothing would flatter every figure beside it */
		fprintf(stderr, "floor: --read/--count copied no message head: do its TGIDs serve traffic?\n");
		return 1;
	}
	return 0;
}
