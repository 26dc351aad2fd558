// Package withmain keeps a cache refreshed in the background.
package withmain

import (
	"sync"
	"time"
)

// Refresher refreshes something every period until Stop.
type Refresher struct {
	stop chan struct{}
	wg   sync.WaitGroup
}

// Start begins refreshing.
func Start(period time.Duration) *Refresher {
	r := &Refresher{stop: make(chan struct{})}
	r.wg.Add(1)
	go r.loop(period)
	return r
}

func (r *Refresher) loop(period time.Duration) {
	defer r.wg.Done()
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-r.stop:
			return
		}
	}
}

// Stop ends the refresher and waits for it.
func (r *Refresher) Stop() {
	close(r.stop)
	r.wg.Wait()
}
