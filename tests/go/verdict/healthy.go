package main

// A healthy service: every goroutine it keeps is idle by design and can always be released.

import (
	"context"
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

// fetcher is a fixed pool of function literals built once by its constructor, the most common
// way to write one: the constructor returns, the workers share one job channel.
type fetcher struct{ jobs chan func() }

func newFetcher(workers int) *fetcher {
	f := &fetcher{jobs: make(chan func())}
	for i := 0; i < workers; i++ {
		go func() {
			for job := range f.jobs { // POOL
				job()
			}
		}()
	}
	return f
}

// db is shaped like database/sql's DB: Open starts one connection opener that waits for
// requests to open connections until the DB is closed.
type db struct {
	openerCh chan struct{}
	ctx      context.Context
	cancel   func()
}

func openDB() *db {
	ctx, cancel := context.WithCancel(context.Background())
	d := &db{openerCh: make(chan struct{}, 16), ctx: ctx, cancel: cancel}
	go d.connectionOpener()
	return d
}

func (d *db) connectionOpener() {
	for {
		select { // POOL
		case <-d.ctx.Done():
			return
		case <-d.openerCh:
		}
	}
}

// broker is a pub/sub hub: one loop fans messages out to live subscribers, each of which a
// helper starts as a function literal and returns.
type broker struct {
	publish chan string
	subs    chan chan string
}

func newBroker() *broker {
	b := &broker{publish: make(chan string), subs: make(chan chan string)}
	go b.run()
	return b
}

func (b *broker) run() {
	var subs []chan string
	for {
		select { // POOL
		case ch := <-b.subs:
			subs = append(subs, ch)
		case m := <-b.publish:
			for _, ch := range subs {
				ch <- m
			}
		}
	}
}

func (b *broker) subscribe(handle func(string)) {
	ch := make(chan string, 8)
	b.subs <- ch
	go func() {
		for m := range ch { // POOL
			handle(m)
		}
	}()
}

// startHeartbeat runs a ticker in a background loop until stop is closed.
func startHeartbeat(stop chan struct{}, beat func()) {
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select { // POOL
			case <-t.C:
				beat()
			case <-stop:
				return
			}
		}
	}()
}

func startHealthy(base string) {
	pool := newResizer(8)
	fl := newFlusher()
	q := newQueue(4)
	fetch := newFetcher(6)
	database := openDB()
	hub := newBroker()
	var seen sync.Map
	for _, topic := range []string{"audit", "metrics", "cache"} {
		hub.subscribe(func(m string) { seen.Store(topic, m) })
	}
	stopBeat := make(chan struct{})
	startHeartbeat(stopBeat, func() { database.openerCh <- struct{}{} })
	http.HandleFunc("/publish", func(w http.ResponseWriter, r *http.Request) {
		hub.publish <- r.URL.Query().Get("m")
		done := make(chan struct{})
		fetch.jobs <- func() { close(done) }
		<-done
	})
	http.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		database.cancel()
		close(stopBeat)
	})
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
