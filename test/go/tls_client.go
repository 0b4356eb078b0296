// An HTTPS client on Go's net/http and crypto/tls, standard library only.
// Waits for a line on stdin (the test's go-ahead once apiscope has probed
// it), makes its calls, prints what it got as JSON.
//
//	tls_client h1 BASE CA N         N GETs of /items/I over HTTP/1.1, one at a time
//	tls_client h2 BASE CA N         N concurrent GETs of /items/I over one HTTP/2 connection
//	tls_client conns BASE CA C M    C goroutines, each on its own connections, M GETs of /size/S each
//	tls_client llm BASE CA N        N chat completions (POST BASE/chat/completions)
package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
)

type result struct {
	Statuses map[string]int `json:"statuses"`
	Bytes    int64          `json:"bytes"`
	Input    int            `json:"input_tokens"`
	Output   int            `json:"output_tokens"`
}

func transport(ca string, h2 bool) *http.Transport {
	pem, err := os.ReadFile(ca)
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	t := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: h2}
	if !h2 {
		t.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	return t
}

func main() {
	mode, base, ca := os.Args[1], os.Args[2], os.Args[3]
	n, _ := strconv.Atoi(os.Args[4])
	bufio.NewReader(os.Stdin).ReadString('\n')
	res := result{Statuses: map[string]int{}}
	var mu sync.Mutex
	get := func(c *http.Client, req *http.Request) []byte {
		r, err := c.Do(req)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		mu.Lock()
		res.Statuses[strconv.Itoa(r.StatusCode)]++
		res.Bytes += int64(len(body))
		mu.Unlock()
		return body
	}
	var wg sync.WaitGroup
	switch mode {
	case "h1", "h2":
		c := &http.Client{Transport: transport(ca, mode == "h2")}
		for i := 0; i < n; i++ {
			req, _ := http.NewRequest("GET", base+"/items/"+strconv.Itoa(i), nil)
			if mode == "h1" {
				get(c, req)
				continue
			}
			wg.Add(1)
			go func() { defer wg.Done(); get(c, req) }()
		}
	case "conns":
		m, _ := strconv.Atoi(os.Args[5])
		for g := 0; g < n; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				c := &http.Client{Transport: transport(ca, g%2 == 0)} // its own connection, h2 or HTTP/1.1
				for j := 0; j < m; j++ {
					req, _ := http.NewRequest("GET", base+"/size/"+strconv.Itoa(100*g+j), nil)
					get(c, req)
				}
			}(g)
		}
	case "llm":
		c := &http.Client{Transport: transport(ca, true)}
		for i := 0; i < n; i++ {
			ask, _ := json.Marshal(map[string]any{"model": "gpt-go", "max_tokens": 3 + i,
				"messages": []map[string]string{{"role": "user", "content": "from a go client"}}})
			req, _ := http.NewRequest("POST", base+"/chat/completions", bytes.NewReader(ask))
			req.Header.Set("Content-Type", "application/json")
			var out struct {
				Usage struct {
					Prompt     int `json:"prompt_tokens"`
					Completion int `json:"completion_tokens"`
				} `json:"usage"`
			}
			json.Unmarshal(get(c, req), &out)
			res.Input += out.Usage.Prompt
			res.Output += out.Usage.Completion
		}
	}
	wg.Wait()
	json.NewEncoder(os.Stdout).Encode(res)
}
