package waitgroup_add_in_goroutine

import (
	"log"
	"net/http"
	"sync"
)

type Result struct {
	URL    string
	Status int
}

// checkAll adds inside each goroutine: Wait can return before any of them ran.
func checkAll(client *http.Client, urls []string) []Result {
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		results []Result
	)
	for _, u := range urls {
		go func() {
			req, err := http.NewRequest(http.MethodHead, u, nil)
			if err != nil {
				return
			}
			wg.Add(1) // want "waitgroup-add-in-goroutine"
			defer wg.Done()
			resp, err := client.Do(req)
			if err != nil {
				return
			}
			resp.Body.Close()
			mu.Lock()
			results = append(results, Result{u, resp.StatusCode})
			mu.Unlock()
		}()
	}
	wg.Wait()
	return results
}

type Server struct {
	conns sync.WaitGroup
}

// serve counts each connection from inside its goroutine.
func (s *Server) serve(accept func() (func(), error)) {
	for {
		handle, err := accept()
		if err != nil {
			break
		}
		go func() {
			defer handle()
			s.conns.Add(1) // want "waitgroup-add-in-goroutine"
			defer s.conns.Done()
		}()
	}
	s.conns.Wait()
}

// process adds after some work inside the goroutine.
func process(items []string, handle func(string) error) {
	wg := &sync.WaitGroup{}
	for _, it := range items {
		go func(item string) {
			if item == "" {
				return
			}
			wg.Add(1) // want "waitgroup-add-in-goroutine"
			defer wg.Done()
			_ = handle(item)
		}(it)
	}
	wg.Wait()
}

// flushAll with a WaitGroup passed as a parameter.
func flushAll(wg *sync.WaitGroup, shards []func()) {
	for _, flush := range shards {
		go func() {
			log.Printf("flushing shard")
			wg.Add(1) // want "waitgroup-add-in-goroutine"
			flush()
			wg.Done()
		}()
	}
	wg.Wait()
}

// Add before go: fine.
func fetchAll(client *http.Client, urls []string) {
	var wg sync.WaitGroup
	for _, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp, err := client.Get(u); err == nil {
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
}

// Go 1.25 wg.Go: no Add at all.
func fetchAllGo(client *http.Client, urls []string) {
	var wg sync.WaitGroup
	for _, u := range urls {
		wg.Go(func() {
			if resp, err := client.Get(u); err == nil {
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
}

// A coordinator goroutine that counts and waits for its own workers.
func pipeline(batches [][]string, handle func(string)) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for _, b := range batches {
			wg.Add(len(b))
			for _, item := range b {
				go func() {
					defer wg.Done()
					handle(item)
				}()
			}
		}
		wg.Wait()
	}()
	return done
}

// A counter's Add is not a WaitGroup's.
type Stats struct{ n int }

func (s *Stats) Add(d int) { s.n += d }

func count(events <-chan int, stats *Stats) {
	go func() {
		for e := range events {
			stats.Add(e)
		}
	}()
}

// A setup goroutine counts the worker its helper starts before it starts it: Wait cannot run
// before this Add is accounted for by the caller's own Add of the setup goroutine.
type Group struct {
	wg sync.WaitGroup
}

func (g *Group) spawn(f func()) {
	go func() {
		defer g.wg.Done()
		f()
	}()
}

func (g *Group) StartAll(fs []func()) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		for _, f := range fs {
			g.wg.Add(1)
			g.spawn(f)
		}
	}()
	g.wg.Wait()
}
