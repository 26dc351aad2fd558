package main

// A healthy service: every goroutine it keeps is idle by design and can always be released.

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// resizer is a fixed pool built once by its constructor.
type resizer struct{ jobs chan resizeJob }

type resizeJob struct {
	name   string
	result chan string
}

func newResizer(workers int) *resizer {
	r := &resizer{jobs: make(chan resizeJob)}
	for i := 0; i < workers; i++ {
		go r.work()
	}
	return r
}

func (r *resizer) work() {
	for j := range r.jobs { // POOL
		j.result <- strings.ToUpper(j.name)
	}
}

// flusher is a background loop started by its constructor: it flushes every second until
// stopped.
type flusher struct {
	stop    chan struct{}
	mu      sync.Mutex
	pending int
}

func newFlusher() *flusher {
	f := &flusher{stop: make(chan struct{})}
	go f.loop()
	return f
}

func (f *flusher) loop() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select { // POOL
		case <-t.C:
			f.mu.Lock()
			f.pending = 0
			f.mu.Unlock()
		case <-f.stop:
			return
		}
	}
}

// queue hands items to consumers through a condition variable.
type queue struct {
	mu    sync.Mutex
	cond  *sync.Cond
	items []string
}

func newQueue(consumers int) *queue {
	q := &queue{}
	q.cond = sync.NewCond(&q.mu)
	for i := 0; i < consumers; i++ {
		go q.consume()
	}
	return q
}

func (q *queue) consume() {
	for {
		q.mu.Lock()
		for len(q.items) == 0 {
			q.cond.Wait() // POOL
		}
		q.items = q.items[1:]
		q.mu.Unlock()
	}
}

func (q *queue) push(s string) {
	q.mu.Lock()
	q.items = append(q.items, s)
	q.mu.Unlock()
	q.cond.Signal()
}

func startHealthy(base string) {
	pool := newResizer(8)
	fl := newFlusher()
	q := newQueue(4)
	http.HandleFunc("/resize", func(w http.ResponseWriter, r *http.Request) {
		j := resizeJob{name: r.URL.Query().Get("img"), result: make(chan string, 1)}
		pool.jobs <- j
		fmt.Fprintln(w, <-j.result)
		q.push(j.name)
		fl.mu.Lock()
		fl.pending++
		fl.mu.Unlock()
	})
	http.HandleFunc("/stop", func(w http.ResponseWriter, r *http.Request) { close(fl.stop) })
	// Idle keep-alive connections of a shared client, as a service calling another has.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Get(base + "/resize?img=cat.png")
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	http.HandleFunc("/again", func(w http.ResponseWriter, r *http.Request) {
		resp, err := client.Get(base + "/resize?img=dog.png")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

// startDeadlock starts workers that wait for each other and returns the WaitGroup main waits
// on; nothing else runs, so the runtime reports that all goroutines are asleep.
func startDeadlock() *sync.WaitGroup {
	var wg sync.WaitGroup
	results := make(chan int)
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- i // LEAK: nobody receives before wg.Wait returns
		}()
	}
	var mu sync.Mutex
	mu.Lock()
	go func() {
		mu.Lock() // LEAK
	}()
	return &wg
}
