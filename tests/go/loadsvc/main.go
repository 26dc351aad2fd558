// loadsvc is a small Go service for testing goleash's over-time commands (diff, watch, verify).
// It serves net/http/pprof on 127.0.0.1 and has one endpoint per goroutine behaviour a real
// service shows under load:
//
//	/leak       leaks one goroutine per request: the handler returns on its error path without
//	            receiving the result a goroutine it started is sending (blocked in chan send).
//	/pool       a fixed pool of -pool workers, started by the first request, then reused:
//	            goroutines fill once and plateau (blocked in chan receive while idle).
//	/work       background work that comes and goes: ?n= goroutines (default 4, at most 1000)
//	            each sleep ?ms= milliseconds (default 50, at most 60000) after the request has
//	            returned, then exit.
//	/cache      ?key= adds an entry with its own refresher goroutine (blocked in select) to a
//	            cache bounded at -cache entries; the oldest entry is evicted and its goroutine
//	            stopped, so goroutines grow to the bound and stay there.
//	/count      runtime.NumGoroutine(), as text.
//	/metrics    Prometheus text format, written by hand (no client library): go_goroutines,
//	            process_start_time_seconds, loadsvc_requests_total{endpoint=...} and, where the
//	            runtime has it (Go 1.26+), go_sched_goroutines_created_goroutines_total.
//	/debug/pprof/...  net/http/pprof.
//
// The service prints "listening http://HOST:PORT" on stdout once it accepts connections.
// The address comes from -addr, else $LOADSVC_ADDR, else 127.0.0.1:0 (a free port).
//
// `loadsvc load [-n N] [-c C] URL…` is a small load generator (like hey): N requests in all
// (default 10), C at a time (default 1), spread over the URLs in turn; it exits 1 when a request
// fails or answers an unexpected status. /leak answers 502 on purpose and counts as expected.
//
// Endpoints and the line numbers of the statements goroutines block on are kept stable:
// tests (goleash's and others') read them by text from this file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "load" {
		os.Exit(runLoad(os.Args[2:]))
	}
	os.Exit(serve(os.Args[1:]))
}

func serve(args []string) int {
	fs := flag.NewFlagSet("loadsvc", flag.ContinueOnError)
	defaultAddr := os.Getenv("LOADSVC_ADDR")
	if defaultAddr == "" {
		defaultAddr = "127.0.0.1:0"
	}
	addr := fs.String("addr", defaultAddr, "listen address (env LOADSVC_ADDR)")
	poolSize := fs.Int("pool", 8, "workers in the fixed pool /pool starts")
	cacheMax := fs.Int("cache", 16, "entries (one goroutine each) the /cache endpoint keeps at most")
	if err := fs.Parse(args); err != nil {
		return 2
	}

	s := &service{poolSize: *poolSize, cache: newCache[string](*cacheMax), started: time.Now()}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/leak", s.counted("leak", s.handleLeak))
	mux.HandleFunc("/pool", s.counted("pool", s.handlePool))
	mux.HandleFunc("/work", s.counted("work", s.handleWork))
	mux.HandleFunc("/cache", s.counted("cache", s.handleCache))
	mux.HandleFunc("/metrics", s.handleMetrics)
	mux.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, runtime.NumGoroutine())
	})

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadsvc:", err)
		return 1
	}
	fmt.Printf("listening http://%s\n", ln.Addr())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "loadsvc:", err)
		return 1
	}
	return 0
}

type service struct {
	poolSize int
	poolOnce sync.Once
	jobs     chan job
	cache    *cache[string]
	served   atomic.Int64
	started  time.Time
	requests sync.Map // endpoint name -> *atomic.Int64
}

// counted counts the requests of one endpoint for /metrics.
func (s *service) counted(name string, h http.HandlerFunc) http.HandlerFunc {
	n, _ := s.requests.LoadOrStore(name, new(atomic.Int64))
	counter := n.(*atomic.Int64)
	return func(w http.ResponseWriter, r *http.Request) {
		counter.Add(1)
		h(w, r)
	}
}

const createdMetric = "/sched/goroutines-created:goroutines"

func (s *service) handleMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "# HELP go_goroutines Number of goroutines that currently exist.\n")
	fmt.Fprintf(w, "# TYPE go_goroutines gauge\ngo_goroutines %d\n", runtime.NumGoroutine())
	fmt.Fprintf(w, "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n")
	fmt.Fprintf(w, "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %.3f\n",
		float64(s.started.UnixMilli())/1000)
	fmt.Fprintf(w, "# HELP loadsvc_requests_total Requests served, per endpoint.\n")
	fmt.Fprintf(w, "# TYPE loadsvc_requests_total counter\n")
	for _, name := range []string{"cache", "leak", "pool", "work"} {
		if n, ok := s.requests.Load(name); ok {
			fmt.Fprintf(w, "loadsvc_requests_total{endpoint=%q} %d\n", name, n.(*atomic.Int64).Load())
		}
	}
	for _, d := range metrics.All() {
		if d.Name != createdMetric {
			continue
		}
		sample := []metrics.Sample{{Name: createdMetric}}
		metrics.Read(sample)
		fmt.Fprintf(w, "# HELP go_sched_goroutines_created_goroutines_total Goroutines created since the process started.\n")
		fmt.Fprintf(w, "# TYPE go_sched_goroutines_created_goroutines_total counter\n")
		fmt.Fprintf(w, "go_sched_goroutines_created_goroutines_total %d\n", sample[0].Value.Uint64())
	}
}

// lookup stands for a call to a backend.
func lookup(q string) string {
	return "result for " + q
}

// handleLeak starts the lookup in a goroutine, then takes its error path and returns without
// receiving: the sender blocks for good, one goroutine per request.
func (s *service) handleLeak(w http.ResponseWriter, r *http.Request) {
	results := make(chan string)
	q := r.URL.Query().Get("q")
	go func() {
		results <- lookup(q) // leak: nobody receives once the handler has returned
	}()
	if err := s.checkQuota(); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	fmt.Fprintln(w, <-results)
}

func (s *service) checkQuota() error {
	s.served.Add(1)
	return errors.New("quota backend unavailable")
}

type job struct {
	n     int
	reply chan int
}

// handlePool hands the request to a fixed pool of workers started by the first request.
func (s *service) handlePool(w http.ResponseWriter, r *http.Request) {
	s.poolOnce.Do(func() {
		s.jobs = make(chan job)
		for i := 0; i < s.poolSize; i++ {
			go s.worker()
		}
	})
	j := job{n: len(r.URL.RawQuery), reply: make(chan int, 1)}
	s.jobs <- j
	fmt.Fprintln(w, <-j.reply)
}

func (s *service) worker() {
	for j := range s.jobs { // pool: idle workers wait here
		j.reply <- j.n * 2
	}
}

// handleWork starts background goroutines that outlive the request briefly, then exit.
func (s *service) handleWork(w http.ResponseWriter, r *http.Request) {
	n := intParam(r, "n", 4, 1000)
	d := time.Duration(intParam(r, "ms", 50, 60000)) * time.Millisecond
	for i := 0; i < n; i++ {
		go func() {
			time.Sleep(d) // work: busy for a while, then gone
		}()
	}
	fmt.Fprintln(w, "started", n)
}

func intParam(r *http.Request, name string, fallback, max int) int {
	v, err := strconv.Atoi(r.URL.Query().Get(name))
	if err != nil || v < 0 || v > max {
		return fallback
	}
	return v
}

// cache keeps at most max entries, each with a goroutine that refreshes it until evicted.
// It is generic, as caches often are: tracebacks print its functions as main.refresh[...],
// pprof profiles as main.refresh[go.shape.string].
type cache[K comparable] struct {
	mu      sync.Mutex
	max     int
	order   []K
	entries map[K]context.CancelFunc
}

func newCache[K comparable](max int) *cache[K] {
	return &cache[K]{max: max, entries: map[K]context.CancelFunc{}}
}

func (s *service) handleCache(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("key")
	if key == "" {
		key = strconv.FormatInt(s.served.Add(1), 10)
	}
	s.cache.add(key)
	fmt.Fprintln(w, "cached", key)
}

func (c *cache[K]) add(key K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; ok {
		return
	}
	if len(c.order) >= c.max {
		oldest := c.order[0]
		c.order = c.order[1:]
		c.entries[oldest]()
		delete(c.entries, oldest)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.entries[key] = cancel
	c.order = append(c.order, key)
	go refresh(ctx, key)
}

func refresh[K comparable](ctx context.Context, key K) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select { // cache: one refresher per entry, until evicted
		case <-ctx.Done():
			return
		case <-t.C:
			_ = lookup(fmt.Sprint(key))
		}
	}
}

// runLoad sends requests like a small load tool would.
func runLoad(args []string) int {
	fs := flag.NewFlagSet("loadsvc load", flag.ContinueOnError)
	n := fs.Int("n", 10, "requests in all")
	c := fs.Int("c", 1, "requests at a time")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	urls := fs.Args()
	if len(urls) == 0 || *n < 0 || *c < 1 {
		fmt.Fprintln(os.Stderr, "usage: loadsvc load [-n N] [-c C] URL…")
		return 2
	}
	client := &http.Client{Timeout: 30 * time.Second}
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < *c; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1)) - 1
				if k >= *n {
					return
				}
				if err := get(client, urls[k%len(urls)], k); err != nil {
					fmt.Fprintln(os.Stderr, "loadsvc load:", err)
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		return 1
	}
	return 0
}

func get(client *http.Client, url string, k int) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusBadGateway {
		return fmt.Errorf("request %d: %s answered %s", k, url, resp.Status)
	}
	return nil
}
