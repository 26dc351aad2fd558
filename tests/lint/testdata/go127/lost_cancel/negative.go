package lost_cancel

import (
	"context"
	"log"
	"net/http"
	"sync"
	"time"
)

// Usual shape: defer right after.
func lookup(parent context.Context, client *http.Client, url string) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(parent, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, url, nil)
	if err != nil {
		return nil, err
	}
	return client.Do(req)
}

// Worker keeps the cancel in a struct and calls it in Close (gosec #1595).
type Worker struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func NewWorker(parent context.Context, loop func(context.Context)) *Worker {
	ctx, cancel := context.WithCancel(parent)
	w := &Worker{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		loop(ctx)
	}()
	return w
}

func (w *Worker) Close() {
	w.cancel()
	<-w.done
}

// The cancel is called in the goroutine that owns the context (gosec #1590).
func serveInBackground(parent context.Context, serve func(context.Context) error) {
	ctx, cancel := context.WithTimeout(parent, time.Hour)
	go func() {
		defer cancel()
		if err := serve(ctx); err != nil {
			log.Print(err)
		}
	}()
}

// Cancels collected in a slice and run in a deferred loop (gosec #1668).
func fanOut(parent context.Context, shards []string, query func(context.Context, string)) {
	var cancels []context.CancelFunc
	defer func() {
		for _, c := range cancels {
			c()
		}
	}()
	var wg sync.WaitGroup
	for _, s := range shards {
		ctx, cancel := context.WithTimeout(parent, time.Second)
		cancels = append(cancels, cancel)
		wg.Add(1)
		go func() {
			defer wg.Done()
			query(ctx, s)
		}()
	}
	wg.Wait()
}

// Package-level stop assigned in init and called from a shutdown hook (gosec #1601).
var (
	rootCtx context.Context
	stop    context.CancelFunc
)

func init() {
	rootCtx, stop = context.WithCancel(context.Background())
}

func Shutdown() { stop() }

// Returned to the caller, alone or with a named result (golang/go#16230).
func withDeadline(parent context.Context) (ctx context.Context, cancel context.CancelFunc) {
	ctx, cancel = context.WithTimeout(parent, 30*time.Second)
	return
}

// Cancelled on every branch without a defer; log.Fatal never returns.
func mustPing(parent context.Context, ping func(context.Context) error) {
	ctx, cancel := context.WithTimeout(parent, time.Second)
	if err := ping(ctx); err != nil {
		log.Fatalf("ping: %v", err)
	}
	cancel()
}

// A derived context handed back in a struct literal (gosec #1591).
type session struct {
	ctx    context.Context
	cancel context.CancelFunc
}

func newSession(parent context.Context) session {
	ctx, cancel := context.WithCancel(parent)
	return session{ctx: ctx, cancel: cancel}
}

// Passed to a function that takes ownership.
func watch(parent context.Context, register func(context.CancelFunc)) context.Context {
	ctx, cancel := context.WithCancel(parent)
	register(cancel)
	return ctx
}

// Per-iteration cancel called before every continue.
func probeAll(parent context.Context, hosts []string, probe func(context.Context, string) error) int {
	ok := 0
	for _, h := range hosts {
		ctx, cancel := context.WithTimeout(parent, time.Second)
		err := probe(ctx, h)
		cancel()
		if err != nil {
			continue
		}
		ok++
	}
	return ok
}
