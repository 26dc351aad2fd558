// Package workers squares numbers with a pool that stops with its context.
package workers

import (
	"context"
	"sync"
)

// Squares squares every input with n workers and returns when all are done.
func Squares(ctx context.Context, n int, in []int) []int {
	jobs := make(chan int)
	out := make([]int, len(in))
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case i, ok := <-jobs:
					if !ok {
						return
					}
					out[i] = in[i] * in[i]
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	for i := range in {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return out
}

// Ticker counts ticks in the background until its context ends; Wait waits for it.
type Ticker struct {
	wg    sync.WaitGroup
	mu    sync.Mutex
	ticks int
}

// Start starts counting.
func Start(ctx context.Context, tick <-chan struct{}) *Ticker {
	t := &Ticker{}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		for {
			select {
			case <-tick:
				t.mu.Lock()
				t.ticks++
				t.mu.Unlock()
			case <-ctx.Done():
				return
			}
		}
	}()
	return t
}

// Wait waits for the counter to stop.
func (t *Ticker) Wait() { t.wg.Wait() }
