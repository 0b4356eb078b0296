// The kernel's HTTP parser (ebpf/http1_stream.h) compiled natively and fed
// exchanges of one shape over one connection, for bench/parser_instructions.py
// to count its instructions under callgrind: a figure that does not move with
// the machine's noise, for changes too small to see in BPF run time. The
// hooks (the map work) do nothing here; helpers and the JIT are not counted.
//
// usage: bench_parser_cost SHAPE EXCHANGES   (SHAPE: nginx, python, rest)
// Prints the records and route lookups; exits 1 if a request went unrecorded.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "user_env.h"  // no capture, no partial lines, no LLM/MCP calls
#include "conn_feed.h"

static unsigned long records, routes;

static __u64 as_hook_route(struct as_conn *, struct as_scratch *)
{
	return 100 + routes++;
}

static int as_hook_body(struct as_conn *, struct as_scratch *, __u32, __u32)
{
	return 0;
}

static int as_hook_record(struct as_conn *, struct as_scratch *s)
{
	records += s->rec.status == 200;
	return 0;
}

static int as_hook_count(__u32)
{
	return 0;
}

static int as_hook_h2_block(struct as_conn *, struct as_scratch *, __u32, __u32, __u32)
{
	return 0;
}

static int as_hook_h2_held(struct as_conn *c, struct as_scratch *)
{
	c->h2_nheld = 0;
	return 0;
}

static int as_hook_h2_end(struct as_conn *c, struct as_scratch *, struct as_h2_stream *, __u32, __u32)
{
	c->h2_nheld = 0;
	return 0;
}

struct shape {
	const char *name;
	std::string req, resp;
	int id_at; // offset of a 6-digit id in req that changes each request, or -1
};

static shape shape_of(const char *name)
{
	if (!strcmp(name, "nginx")) // wrk against nginx's return 200: one target
		return {name, "GET /ok HTTP/1.1\r\nHost: 127.0.0.1:18080\r\n\r\n",
			"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 02 Dec 2026 02:30:00 GMT\r\n"
			"Content-Type: text/plain\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok",
			-1};
	if (!strcmp(name, "python")) { // bench/python_api.py: wrk_ids.lua, a new item id each request
		std::string body = "{\"path\": \"/api/items/100000?expand=owner\", \"items\": [0, 1, 2, 3, 4, 5, 6, 7], "
				   "\"n\": 123456}";
		return {name, "GET /api/items/100000?expand=owner HTTP/1.1\r\nHost: 127.0.0.1:18120\r\n\r\n",
			"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
				std::to_string(body.size()) + "\r\n\r\n" + body,
			15};
	}
	if (!strcmp(name, "rest")) // a requests-style client and a uvicorn-style server
		return {name,
			"GET /api/v1/users/100000/orders?limit=10 HTTP/1.1\r\nHost: api.example.com\r\n"
			"User-Agent: python-requests/2.31.0\r\nAccept-Encoding: gzip, deflate\r\nAccept: */*\r\n"
			"Connection: keep-alive\r\n\r\n",
			"HTTP/1.1 200 OK\r\nServer: uvicorn\r\nDate: Wed, 02 Dec 2026 02:30:00 GMT\r\n"
			"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
			18};
	fprintf(stderr, "bench_parser_cost: unknown shape %s (nginx, python, rest)\n", name);
	exit(2);
}

static void feed(as_conn *c, as_scratch *s, bool in, const std::string &b, __u64 now)
{
	s->ubuf = (__u64)b.data();
	s->n = b.size();
	s->now = now;
	s->dir_in = in;
	as_feed(c, s);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: bench_parser_cost nginx|python|rest EXCHANGES\n");
		return 2;
	}
	shape sh = shape_of(argv[1]);
	long n = atol(argv[2]);
	static as_conn conn;
	static as_scratch scratch;
	__u64 t = 1000;

	for (long i = 0; i < n; i++) {
		if (sh.id_at >= 0) // 100000 + i, so every id has six digits
			for (long k = 5, v = 100000 + i % 900000; k >= 0; k--, v /= 10)
				sh.req[sh.id_at + k] = (char)('0' + v % 10);
		feed(&conn, &scratch, true, sh.req, t += 1000);
		feed(&conn, &scratch, false, sh.resp, t += 100000);
	}
	printf("%lu records, %lu route lookups\n", records, routes);
	return records == (unsigned long)n ? 0 : 1;
}
