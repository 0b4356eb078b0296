// HTTP/1.1 keep-alive request/response pairs over loopback TCP, client and
// server in one thread: the client writes a request, the server reads it and
// writes nginx's `return 200` response (head and body in one writev), the
// client reads it. No waiting on another thread or on a scheduler, so the
// time per request is the four syscalls' and whatever runs on them: with
// apiscope, its programs on both sides of the connection.
//
// usage: bench_http_pingpong REQUESTS [close]
// With `close`, every request has a connection of its own (connect, accept,
// the exchange, close on both sides), as with `Connection: close`.
// prints ns per request (wall) and the number of requests
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* What wrk sends in the nginx benchmark (its headers of benchlib.WRK_HEADERS). */
static const char request[] = "GET /ok HTTP/1.1\r\n"
			      "Host: 127.0.0.1:18100\r\n"
			      "X-Request-Id: 5f0c2a9e-bench\r\n"
			      "X-Tenant: acme\r\n"
			      "User-Agent: wrk-bench/4.1\r\n"
			      "\r\n";
/* nginx 1.22's answer to it, byte for byte apart from the date. */
static const char head[] = "HTTP/1.1 200 OK\r\n"
			   "Server: nginx/1.22.1\r\n"
			   "Date: Tue, 01 Dec 2026 16:00:00 GMT\r\n"
			   "Content-Type: text/plain\r\n"
			   "Content-Length: 3\r\n"
			   "Connection: keep-alive\r\n"
			   "\r\n";
static const char body[] = "ok\n";

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int lsock;
static struct sockaddr_in addr = {.sin_family = AF_INET};

/* A connected client socket and the server's end of it. */
static int open_pair(int *c, int *s)
{
	int one = 1;

	*c = socket(AF_INET, SOCK_STREAM, 0);
	if (*c < 0 || connect(*c, (struct sockaddr *)&addr, sizeof(addr)))
		return -1;
	*s = accept(lsock, NULL, NULL);
	if (*s < 0)
		return -1;
	setsockopt(*c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(*s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
}

int main(int argc, char **argv)
{
	socklen_t alen = sizeof(addr);
	size_t reql = sizeof(request) - 1, respl = sizeof(head) - 1 + sizeof(body) - 1;
	struct iovec iov[2] = {{(void *)head, sizeof(head) - 1}, {(void *)body, sizeof(body) - 1}};
	long requests = argc > 1 ? atol(argv[1]) : 100000;
	int close_each = argc > 2 && !strcmp(argv[2], "close");
	int c, s;
	char buf[4096];
	double t0;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lsock = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(lsock, (struct sockaddr *)&addr, sizeof(addr)) || listen(lsock, 16) ||
	    getsockname(lsock, (struct sockaddr *)&addr, &alen))
		return 1;
	if (open_pair(&c, &s))
		return 1;
	t0 = now_ns();
	for (long i = 0; i < requests; i++) {
		if (close_each && i && open_pair(&c, &s)) {
			fprintf(stderr, "bench_http_pingpong: connection %ld failed\n", i);
			return 2;
		}
		/* loopback delivers a small write whole to the next read */
		if (write(c, request, reql) != (ssize_t)reql || read(s, buf, sizeof(buf)) != (ssize_t)reql ||
		    writev(s, iov, 2) != (ssize_t)respl || read(c, buf, sizeof(buf)) != (ssize_t)respl) {
			fprintf(stderr, "bench_http_pingpong: short read or write at request %ld\n", i);
			return 2;
		}
		if (close_each) {
			/* the server closes first, as nginx does on Connection: close */
			close(s);
			close(c);
		}
	}
	printf("%.1f %ld\n", (now_ns() - t0) / requests, requests);
	if (!close_each) {
		close(c);
		close(s);
	}
	close(lsock);
	return 0;
}
