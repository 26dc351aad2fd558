// Package metricslib counts events and flushes them from one background goroutine started on
// first use, like many metrics and logging libraries do.
package metricslib

import (
	"sync"
	"time"
)

type registry struct {
	mu     sync.Mutex
	counts map[string]int
}

var (
	once sync.Once
	reg  = &registry{counts: map[string]int{}}
)

// Inc counts one event.
func Inc(name string) {
	once.Do(func() { go reg.flush(time.Minute) })
	reg.mu.Lock()
	reg.counts[name]++
	reg.mu.Unlock()
}

func (r *registry) flush(period time.Duration) {
	t := time.NewTicker(period)
	for range t.C {
		r.mu.Lock()
		r.counts = map[string]int{}
		r.mu.Unlock()
	}
}
