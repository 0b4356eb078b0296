// An HTTPS server on Go's net/http and crypto/tls (HTTP/1.1 and HTTP/2 by
// ALPN), standard library only. Prints "ready" once it listens.
//
//	tls_server ADDR CERT KEY          serve
//	tls_server exec ADDR CERT KEY     exec itself as the server (a Go program that execs)
//
// Routes: /items/ID (200, "item ID\n"), /size/N (200, N bytes), anything
// else 404.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
)

func main() {
	args := os.Args[1:]
	if args[0] == "exec" {
		self, _ := os.Executable()
		panic(syscall.Exec(self, append([]string{os.Args[0]}, args[1:]...), os.Environ()))
	}
	http.HandleFunc("/items/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "item %s\n", strings.TrimPrefix(r.URL.Path, "/items/"))
	})
	http.HandleFunc("/size/", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/size/"))
		if err != nil || n < 0 || n > 1<<20 {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(n))
		w.Write([]byte(strings.Repeat("x", n)))
	})
	ln, err := net.Listen("tcp", args[0])
	if err != nil {
		panic(err)
	}
	fmt.Println("ready")
	panic(http.ServeTLS(ln, nil, args[1], args[2]))
}
