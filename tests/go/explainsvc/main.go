// Command ordersvc is a small order service with one goroutine leak of each kind goleash
// explains. It serves net/http/pprof, drives its own traffic at start-up (every handler is hit
// a few times), waits until the goroutine count holds still, prints `listening on ADDR` and
// then waits to be dumped.
//
// Lines of interest carry marker comments so tests find them without hard-coding numbers:
// `BLOCKS: kind` where a leaked goroutine waits, `CAUSE: kind` where the bug is.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	runtimepprof "runtime/pprof"
	"syscall"
	"time"
)

type server struct {
	mux      *http.ServeMux
	upstream string
	inv      *inventory
	audit    *auditLog
}

// handle registers h with pprof labels naming the route, like request middleware does.
func (s *server) handle(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		runtimepprof.Do(r.Context(), runtimepprof.Labels("route", pattern), func(ctx context.Context) {
			h(w, r.WithContext(ctx))
		})
	})
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to serve on")
	n := flag.Int("n", 3, "requests per route at start-up")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s := &server{mux: http.NewServeMux(), inv: newInventory(), audit: newAuditLog()}
	s.mux.HandleFunc("/debug/pprof/", pprof.Index)
	s.upstream = startUpstream()
	s.routes()
	go http.Serve(ln, s.mux)

	base := "http://" + ln.Addr().String()
	load := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for _, route := range []string{
		"/quote", "/stock", "/price", "/session", "/watch", "/import", "/batch", "/upload",
		"/inventory/refresh", "/inventory", "/audit",
	} {
		for i := 0; i < *n; i++ {
			resp, err := load.Get(base + route)
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", route, err)
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	settle()
	fmt.Printf("goroutines %d\n", runtime.NumGoroutine())
	fmt.Printf("listening on %s\n", ln.Addr())
	<-ctx.Done()
}

func (s *server) routes() {
	s.handle("/quote", s.handleQuote)
	s.handle("/stock", s.handleStock)
	s.handle("/price", s.handlePrice)
	s.handle("/session", s.handleSession)
	s.handle("/watch", s.handleWatch)
	s.handle("/import", s.handleImport)
	s.handle("/batch", s.handleBatch)
	s.handle("/upload", s.handleUpload)
	s.handle("/inventory/refresh", s.handleRefresh)
	s.handle("/inventory", s.handleInventory)
	s.handle("/audit", s.handleAudit)
}

// startUpstream is the supplier API the service calls.
func startUpstream() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, `{"sku": "A-1", "units": 12, "cents": 4200}`)
	}))
	return "http://" + ln.Addr().String()
}

// settle waits until the goroutine count has not changed for a while.
func settle() {
	last, same := -1, 0
	deadline := time.Now().Add(15 * time.Second)
	for same < 40 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		if c := runtime.NumGoroutine(); c == last {
			same++
		} else {
			last, same = c, 0
		}
	}
}
