// Command leaks runs one goroutine-leak scenario, or a clean counterpart, the way a service
// would: it serves net/http/pprof, drives its own traffic at start-up so the scenario's
// goroutines exist, prints its goroutine count and `listening on ADDR`, then waits.
//
//	leaks -scenario send-after-timeout -n 6 -addr 127.0.0.1:0
//
// Leaky statements carry marker comments (`LEAK: blocks here`, `LEAK: started here`) so
// tests find their lines without hard-coding numbers.
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
	"sort"
	"strings"
	"syscall"
	"time"
)

// scenario is one pattern. start runs once before traffic, like a service's start-up code;
// traffic makes the requests that trigger the pattern.
type scenario struct {
	start   func(s *service)
	traffic func(s *service)
}

var scenarios = map[string]scenario{}

func register(name string, sc scenario) { scenarios[name] = sc }

// service is what every scenario shares: its mux, its own base URL, the request count.
type service struct {
	ctx  context.Context
	mux  *http.ServeMux
	base string
	n    int
	// loadClient plays the external load generator: no keep-alive, so the server's
	// connection goroutines end with each request and only the scenario's goroutines stay.
	loadClient *http.Client
}

// handle registers h with pprof labels naming the route, like request middleware does.
func (s *service) handle(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		runtimepprof.Do(r.Context(), runtimepprof.Labels("handler", pattern), func(ctx context.Context) {
			h(w, r.WithContext(ctx))
		})
	})
}

// get makes one request to the service and reads the whole answer.
func (s *service) get(path string) {
	resp, err := s.loadClient.Get(s.base + path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "request %s: %v\n", path, err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func main() {
	name := flag.String("scenario", "", "scenario to run: "+strings.Join(names(), ", "))
	n := flag.Int("n", 6, "how many requests trigger the scenario")
	addr := flag.String("addr", "127.0.0.1:0", "address for the pprof server")
	panicAfter := flag.Bool("panic", false, "panic once the scenario is set up")
	stackFile := flag.String("stack-file", "", "file that GET /debug/stacks writes runtime.Stack(all) to")
	flag.Parse()

	sc, ok := scenarios[*name]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown scenario %q; known: %s\n", *name, strings.Join(names(), ", "))
		os.Exit(2)
	}

	// No defer stop(): a deferred stop would run while -panic unwinds and end a goroutine
	// between the printed count and the dump.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, runtime.NumGoroutine())
	})
	mux.HandleFunc("/debug/stacks", func(w http.ResponseWriter, r *http.Request) {
		writeStacks(w, *stackFile)
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)

	s := &service{
		ctx:        ctx,
		mux:        mux,
		base:       "http://" + ln.Addr().String(),
		n:          *n,
		loadClient: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
	}
	if sc.start != nil {
		sc.start(s)
	}
	if sc.traffic != nil {
		sc.traffic(s)
	}
	settle()

	fmt.Printf("goroutines %d\n", runtime.NumGoroutine())
	fmt.Printf("listening on %s\n", ln.Addr())
	if *panicAfter {
		panic("leaks: panic requested with -panic")
	}
	<-ctx.Done()
	stop()
	srv.Close()
}

// writeStacks is the debug hook some services have: all stacks to a file on request. The
// answer is the goroutine count the runtime reported just before taking the stacks.
func writeStacks(w http.ResponseWriter, path string) {
	if path == "" {
		http.Error(w, "start with -stack-file PATH", http.StatusNotFound)
		return
	}
	// The count and the stacks are not taken at one instant: a connection goroutine of an earlier
	// request may end in between. Take both again until the count stayed the same around them.
	var count int
	var buf []byte
	for try := 0; try < 50; try++ {
		count = runtime.NumGoroutine()
		buf = allStacks()
		if runtime.NumGoroutine() == count {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	fmt.Fprintf(w, "goroutines %d\n", count)
}

// allStacks is runtime.Stack(buf, true) with a buffer large enough for every goroutine.
func allStacks() []byte {
	buf := make([]byte, 1<<16)
	for {
		m := runtime.Stack(buf, true)
		if m < len(buf) {
			return buf[:m]
		}
		buf = make([]byte, 2*len(buf))
	}
}

// settle waits until the goroutine count has not changed for a while: requests are answered,
// their connections closed, and the scenario's goroutines have reached the place they block.
func settle() {
	const still = 40 // polls of 10ms with no change
	last, same := -1, 0
	deadline := time.Now().Add(15 * time.Second)
	for same < still && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		if c := runtime.NumGoroutine(); c == last {
			same++
		} else {
			last, same = c, 0
		}
	}
}

func names() []string {
	out := make([]string, 0, len(scenarios))
	for k := range scenarios {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
