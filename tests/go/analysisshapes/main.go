// analysisshapes runs the goroutine shapes goleash's analysis must tell apart: an idle worker
// pool started once, orphaned senders left behind by returned requests, the HTTP accept loop
// and idle keep-alive connections. It serves net/http/pprof and prints its address when ready.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"time"
)

// startPool starts a fixed pool of workers that wait for jobs on one shared channel.
func startPool(n int, jobs <-chan func()) {
	for i := 0; i < n; i++ {
		go func() {
			for job := range jobs { // POOL: idle here
				job()
			}
		}()
	}
}

// lookup asks a slow backend and gives up after a timeout. The backend goroutine sends on an
// unbuffered channel nobody reads any more once lookup has returned.
func lookup(timeout time.Duration) string {
	answer := make(chan string)
	go func() {
		time.Sleep(50 * time.Millisecond) // the backend is slower than the caller's patience
		answer <- "value"                 // LEAK: blocks here
	}()
	select {
	case v := <-answer:
		return v
	case <-time.After(timeout):
		return "timeout"
	}
}

// Locks held forever, so goroutines wait on each sync primitive (for wait-reason tests).
var (
	heldMu   sync.Mutex
	heldRW   sync.RWMutex
	neverWG  sync.WaitGroup
	condMu   sync.Mutex
	neverCnd = sync.NewCond(&condMu)
)

// blockOnLocks starts one goroutine waiting on each sync primitive and returns.
func blockOnLocks() {
	heldMu.Lock()
	heldRW.Lock()
	neverWG.Add(1)
	go func() { heldMu.Lock() }()  // SYNC: mutex
	go func() { heldRW.RLock() }() // SYNC: rwmutex
	go func() { neverWG.Wait() }() // SYNC: waitgroup
	go func() {
		condMu.Lock()
		neverCnd.Wait() // SYNC: cond
	}()
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	workers := flag.Int("workers", 8, "idle pool size")
	leaks := flag.Int("leaks", 6, "requests that leave a sender behind")
	conns := flag.Int("conns", 2, "idle keep-alive connections to keep open")
	locks := flag.Bool("locks", false, "also park goroutines on a mutex, rwmutex, waitgroup, cond")
	flag.Parse()

	if *locks {
		go blockOnLocks()
	}

	jobs := make(chan func())
	startPool(*workers, jobs)

	// Each "request" runs in its own goroutine and returns, so its sender is an orphan.
	var wg sync.WaitGroup
	for i := 0; i < *leaks; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lookup(time.Millisecond)
		}()
	}
	wg.Wait()

	// The handler hands work to the pool, so the pool's channel stays reachable: an idle pool,
	// not a leaked one.
	http.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		done := make(chan struct{})
		jobs <- func() { close(done) }
		<-done
		io.WriteString(w, "hello\n")
	})
	http.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, runtime.NumGoroutine())
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv := &http.Server{}
	go srv.Serve(ln)

	// Open idle keep-alive connections: concurrent requests that the server holds until all
	// have arrived, so each needs its own connection; the client's pool then keeps them and
	// the server waits for their next request.
	var arrived sync.WaitGroup
	arrived.Add(*conns)
	http.HandleFunc("/hold", func(w http.ResponseWriter, r *http.Request) {
		arrived.Done()
		arrived.Wait()
		io.WriteString(w, "held\n")
	})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conns}}
	var cwg sync.WaitGroup
	for i := 0; i < *conns; i++ {
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			resp, err := client.Get("http://" + ln.Addr().String() + "/hold")
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	cwg.Wait()
	time.Sleep(100 * time.Millisecond) // let the senders reach their blocked send

	fmt.Printf("listening on %s\n", ln.Addr())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt)
	<-stop
}
