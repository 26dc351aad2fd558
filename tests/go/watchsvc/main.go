// watchsvc is a small HTTP service that drives its own bounded traffic, so tests can watch its
// goroutines over time. Each -mode is a shape a watch must tell apart:
//
//   - leak:   every -leakevery'th request abandons a goroutine blocked on a channel send
//     (a lookup whose caller timed out): grows with the traffic and never drains.
//   - leak2:  the same, and the same requests also leave a subscriber ranging over a channel
//     an early return forgets to close: two stacks leak together.
//   - pool:   requests start workers lazily, one every third request, up to 40: fills once
//     and plateaus.
//   - bursty: each request hands work to a goroutine that finishes after 300 ms; with -on and
//     -off the traffic comes and goes, and so do the goroutines.
//   - cache:  each request caches a new key; every entry owns a refresher goroutine, and the
//     cache evicts (stopping the refresher) beyond 150 entries: grows to a bound.
//   - clean:  requests start nothing that outlives them.
//
// It serves net/http/pprof and a Prometheus text /metrics (go_goroutines,
// process_start_time_seconds, watchsvc_requests_total and, where the runtime has it,
// go_sched_goroutines_created_goroutines_total). The first line on stdout is its base URL.
package main

import (
	"container/list"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

var (
	mode        = flag.String("mode", "clean", "leak, leak2, pool, bursty, cache or clean")
	addr        = flag.String("addr", "127.0.0.1:0", "listen address")
	rate        = flag.Float64("rate", 50, "requests per second the service sends itself")
	on          = flag.Duration("on", 0, "traffic on for this long, then off for -off (0: always on)")
	off         = flag.Duration("off", 0, "traffic pause in each on/off cycle")
	leakEvery   = flag.Int("leakevery", 5, "leak mode: one request in N leaks a goroutine")
	slowMetrics = flag.Int("slowmetrics", 0, "the first N /metrics requests answer after 3 s")
	requests    atomic.Int64
	started     = time.Now()
)

// --- leak: the caller gives up, the lookup goroutine blocks on its send forever -----------

func lookup(key int64) int64 {
	time.Sleep(2 * time.Millisecond)
	return key * 2
}

func fetchQuote(key int64) (int64, bool) {
	result := make(chan int64) // unbuffered: nobody receives once the caller timed out
	go func() {
		result <- lookup(key)
	}()
	deadline := time.Millisecond * 20
	if key%int64(*leakEvery) == 0 {
		deadline = 0 // this caller gives up at once
	}
	select {
	case v := <-result:
		return v, true
	case <-time.After(deadline):
		return 0, false
	}
}

// --- leak2: an early return forgets to close the channel a subscriber ranges over ---------

func subscribe(n int64) {
	updates := make(chan int64)
	go func() {
		for u := range updates {
			_ = u
		}
	}()
	if n%int64(*leakEvery) == 0 {
		return // the error path: close(updates) is never reached
	}
	updates <- n
	close(updates)
}

// --- pool: workers started lazily up to a fixed size ---------------------------------------

var (
	jobs    = make(chan int64, 64)
	poolMu  sync.Mutex
	workers int
)

func poolWorker() {
	for j := range jobs {
		_ = j * j
	}
}

func submit(n int64) {
	poolMu.Lock()
	if workers < 40 && n%3 == 0 {
		workers++
		go poolWorker()
	}
	poolMu.Unlock()
	select {
	case jobs <- n:
	default:
	}
}

// --- bursty: short-lived goroutines per request ---------------------------------------------

func process(n int64) {
	go func() {
		t := time.NewTimer(300 * time.Millisecond)
		defer t.Stop()
		<-t.C
	}()
}

// --- cache: a refresher goroutine per entry, evicted beyond a bound ------------------------

type entry struct {
	key  int64
	stop chan struct{}
}

var (
	cacheMu sync.Mutex
	lru     = list.New()
)

func refresher(stop chan struct{}) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}

func cachePut(key int64) {
	cacheMu.Lock()
	defer cacheMu.Unlock()
	e := &entry{key: key, stop: make(chan struct{})}
	lru.PushFront(e)
	go refresher(e.stop)
	for lru.Len() > 150 {
		old := lru.Remove(lru.Back()).(*entry)
		close(old.stop)
	}
}

// --- serving ------------------------------------------------------------------------------

func work(w http.ResponseWriter, r *http.Request) {
	n := requests.Add(1)
	switch *mode {
	case "leak":
		fetchQuote(n)
	case "leak2":
		fetchQuote(n)
		subscribe(n)
	case "pool":
		submit(n)
	case "bursty":
		process(n)
	case "cache":
		cachePut(n)
	}
	fmt.Fprintln(w, "ok")
}

func created() (uint64, bool) {
	s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0, false
	}
	return s[0].Value.Uint64(), true
}

var metricsServed atomic.Int64

func promMetrics(w http.ResponseWriter, r *http.Request) {
	if metricsServed.Add(1) <= int64(*slowMetrics) {
		time.Sleep(3 * time.Second) // a process still warming up, or a scrape behind a lock
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "# TYPE go_goroutines gauge\ngo_goroutines %d\n", runtime.NumGoroutine())
	fmt.Fprintf(w, "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %.3f\n",
		float64(started.UnixNano())/1e9)
	fmt.Fprintf(w, "# TYPE watchsvc_requests_total counter\nwatchsvc_requests_total %d\n", requests.Load())
	if c, ok := created(); ok {
		fmt.Fprintf(w, "# TYPE go_sched_goroutines_created_goroutines_total counter\n"+
			"go_sched_goroutines_created_goroutines_total %d\n", c)
	}
}

func load(base string) {
	client := &http.Client{Timeout: 5 * time.Second}
	interval := time.Duration(float64(time.Second) / *rate)
	cycleStart := time.Now()
	for {
		if *on > 0 && *off > 0 {
			phase := time.Since(cycleStart) % (*on + *off)
			if phase >= *on {
				time.Sleep(*on + *off - phase)
				continue
			}
		}
		if resp, err := client.Get(base + "/work"); err == nil {
			resp.Body.Close()
		}
		time.Sleep(interval)
	}
}

func main() {
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	http.HandleFunc("/work", work)
	http.HandleFunc("/metrics", promMetrics)
	base := "http://" + ln.Addr().String()
	fmt.Println(base)
	if *rate > 0 {
		go load(base)
	}
	if err := http.Serve(ln, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
