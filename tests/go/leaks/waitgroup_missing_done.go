package main

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// waitgroup-missing-done: a batch handler fans out parts and waits for them with a deadline.
// One part returns on an error before calling Done, so the goroutine that waits to close the
// done channel waits forever, long after the handler gave up.

var errBadPart = errors.New("bad part")

func processPart(part int) error {
	if part == 2 {
		return errBadPart
	}
	return nil
}

func processBatch(parts int, deadline time.Duration) error {
	var wg sync.WaitGroup
	for p := 0; p < parts; p++ {
		wg.Add(1)
		go func() {
			if err := processPart(p); err != nil {
				return // missing wg.Done on the error path
			}
			wg.Done()
		}()
	}
	done := make(chan struct{})
	go func() { // LEAK: started here
		wg.Wait() // LEAK: blocks here
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-time.After(deadline):
		return fmt.Errorf("batch of %d parts: timed out", parts)
	}
}

func init() {
	register("waitgroup-missing-done", scenario{
		start: func(s *service) {
			s.handle("/batch", func(w http.ResponseWriter, r *http.Request) {
				if err := processBatch(4, 5*time.Millisecond); err != nil {
					http.Error(w, err.Error(), http.StatusGatewayTimeout)
				}
			})
		},
		traffic: func(s *service) {
			for i := 0; i < s.n; i++ {
				s.get("/batch")
			}
		},
	})
}
