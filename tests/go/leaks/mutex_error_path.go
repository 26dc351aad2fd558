package main

import (
	"errors"
	"net/http"
	"sync"
)

// mutex-error-path: a token cache refreshes in the background on each request. The refresh
// returns early on an error without unlocking, so every later refresh blocks on Lock forever.

type tokenCache struct {
	mu       sync.Mutex
	token    string
	failNext bool
}

var errTokenServer = errors.New("token server unavailable")

func (c *tokenCache) fetch() (string, error) {
	if c.failNext {
		c.failNext = false
		return "", errTokenServer
	}
	return "tok-123", nil
}

func (c *tokenCache) refresh() {
	c.mu.Lock() // LEAK: blocks here
	tok, err := c.fetch()
	if err != nil {
		return // the error path keeps the lock
	}
	c.token = tok
	c.mu.Unlock()
}

func init() {
	cache := &tokenCache{failNext: true}
	register("mutex-error-path", scenario{
		start: func(s *service) {
			s.handle("/token", func(w http.ResponseWriter, r *http.Request) {
				go cache.refresh() // LEAK: started here
				w.WriteHeader(http.StatusAccepted)
			})
		},
		traffic: func(s *service) {
			// The first refresh fails and keeps the lock; the next n block behind it.
			for i := 0; i < s.n+1; i++ {
				s.get("/token")
			}
		},
	})
}
