// The goleash demo service: a small search API with a goroutine leak planted in it.
//
// GET /search?q=... asks two backends at once and answers with whichever replies first, or
// with 504 after a timeout. Each backend replies on an unbuffered channel; once the handler has
// returned nobody receives any more, so every slower backend goroutine blocks on its send
// forever. One goroutine leaks per request.
//
// The healthy part: a fixed pool of audit workers started at start-up, the HTTP server's
// accept loop and keep-alive connections, and net/http/pprof on the same address.
package main

import (
	"flag"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

type backend struct {
	name  string
	delay time.Duration
}

// query pretends to call a remote backend.
func (b backend) query(q string) string {
	time.Sleep(b.delay/2 + time.Duration(rand.Int63n(int64(b.delay))))
	return fmt.Sprintf("%s: results for %q", b.name, q)
}

type server struct {
	backends []backend
	timeout  time.Duration
	audit    chan string // served by the audit pool for the life of the process

	mu       sync.Mutex
	searches map[string]int
}

func (s *server) handleSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	results := make(chan string) // unbuffered: the bug
	for _, b := range s.backends {
		go func(b backend) {
			results <- b.query(q) // LEAK: the slower backend blocks here once the handler returned
		}(b)
	}
	select {
	case res := <-results:
		s.audit <- q
		fmt.Fprintln(w, res)
	case <-time.After(s.timeout):
		http.Error(w, "backends too slow", http.StatusGatewayTimeout)
	}
}

// startAuditPool starts the fixed pool that counts searches.
func (s *server) startAuditPool(workers int) {
	for i := 0; i < workers; i++ {
		go func() {
			for q := range s.audit {
				s.mu.Lock()
				s.searches[q]++
				s.mu.Unlock()
			}
		}()
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()

	s := &server{
		backends: []backend{{"primary", 20 * time.Millisecond}, {"replica", 40 * time.Millisecond}},
		timeout:  time.Second,
		audit:    make(chan string),
		searches: map[string]int{},
	}
	s.startAuditPool(4)
	http.HandleFunc("/search", s.handleSearch)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
	go http.Serve(ln, nil)
	fmt.Printf("listening on %s\n", ln.Addr())

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
}
