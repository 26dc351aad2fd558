package waitgroup_missing_done

import (
	"fmt"
	"sync"
	"time"
)

// waitParts waits for its parts with a deadline: the Wait runs in a goroutine of its own.
// A part that fails returns before Done, so that waiter never finishes.
func waitParts(parts []Job, deadline time.Duration) error {
	var wg sync.WaitGroup
	for _, p := range parts {
		wg.Add(1)
		go func() { // want "waitgroup-missing-done"
			if p.ID < 0 {
				return
			}
			wg.Done()
		}()
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-time.After(deadline):
		return fmt.Errorf("%d parts: timed out", len(parts))
	}
}

// waitPartsDeferred is the same with a deferred Done: every part counts down.
func waitPartsDeferred(parts []Job, deadline time.Duration) error {
	var wg sync.WaitGroup
	for _, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if p.ID < 0 {
				return
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-time.After(deadline):
		return fmt.Errorf("%d parts: timed out", len(parts))
	}
}
