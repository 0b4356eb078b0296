// What a uprobe costs on this machine: calls of an empty function timed with
// nothing attached, with an empty uprobe, with an empty uretprobe, and with
// both (as apiscope's OpenSSL probes), rounds interleaved. The HTTPS figures
// in docs/benchmarks.md are read against it.
//
// usage: bench_uprobe_cost [CALLS] [ROUNDS]
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "floor_bpf.skel.h"

__attribute__((noinline)) int probed(int x)
{
	__asm__ volatile("");
	return x + 1;
}

static double ns_per_call(long calls)
{
	struct timespec a, b;
	int x = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < calls; i++)
		x = probed(x);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (x != calls)
		exit(2);
	return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / calls;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 100000;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	static const char *names[] = {"nothing", "uprobe", "uretprobe", "uprobe + uretprobe"};
	double res[4][64];
	struct floor_bpf *skel = floor_bpf__open_and_load();

	if (!skel || rounds < 1 || rounds > 64) {
		fprintf(stderr, "uprobe_cost: cannot load the empty programs (root?) or bad ROUNDS\n");
		return 1;
	}
	for (int r = 0; r < rounds; r++) {
		for (int m = 0; m < 4; m++) {
			LIBBPF_OPTS(bpf_uprobe_opts, entry, .func_name = "probed");
			LIBBPF_OPTS(bpf_uprobe_opts, ret, .func_name = "probed", .retprobe = true);
			struct bpf_link *l1 = NULL, *l2 = NULL;

			if (m & 1)
				l1 = bpf_program__attach_uprobe_opts(skel->progs.floor_tls_enter, 0, "/proc/self/exe", 0, &entry);
			if (m & 2)
				l2 = bpf_program__attach_uprobe_opts(skel->progs.floor_tls_return, 0, "/proc/self/exe", 0, &ret);
			if (((m & 1) && !l1) || ((m & 2) && !l2)) {
				fprintf(stderr, "uprobe_cost: attaching a uprobe failed\n");
				return 1;
			}
			ns_per_call(calls / 10); /* warm up */
			res[m][r] = ns_per_call(calls);
			bpf_link__destroy(l1);
			bpf_link__destroy(l2);
		}
	}
	printf("| probes on the function | ns per call (median of %d rounds x %ld calls) | min | max |\n", rounds, calls);
	printf("| --- | --- | --- | --- |\n");
	for (int m = 0; m < 4; m++) {
		qsort(res[m], rounds, sizeof(double), cmp);
		printf("| %s | %.0f | %.0f | %.0f |\n", names[m], res[m][rounds / 2], res[m][0], res[m][rounds - 1]);
	}
	floor_bpf__destroy(skel);
	return 0;
}
