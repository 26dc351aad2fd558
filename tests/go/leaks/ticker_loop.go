package main

import (
	"net/http"
	"sync/atomic"
	"time"
)

// ticker-loop: each session starts a heartbeat loop on a ticker. Nothing stops the ticker or
// ends the loop when the session ends, so one goroutine per session stays forever.

var heartbeats atomic.Int64

func heartbeat(session string) {
	t := time.NewTicker(time.Minute)
	for range t.C { // LEAK: blocks here
		heartbeats.Add(1)
		_ = session
	}
}

func init() {
	register("ticker-loop", scenario{
		start: func(s *service) {
			s.handle("/session", func(w http.ResponseWriter, r *http.Request) {
				go heartbeat(r.URL.Query().Get("id")) // LEAK: started here
				w.WriteHeader(http.StatusCreated)
			})
		},
		traffic: func(s *service) {
			for i := 0; i < s.n; i++ {
				s.get("/session?id=s1")
			}
		},
	})
}
