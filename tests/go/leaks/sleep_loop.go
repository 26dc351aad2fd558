package main

import (
	"net/http"
	"sync/atomic"
	"time"
)

// sleep-loop: each watch request starts a polling loop that sleeps between polls and has no
// way to stop, so every watch leaves a goroutine sleeping forever.

var configPolls atomic.Int64

func pollConfig(path string) {
	for {
		time.Sleep(time.Minute) // LEAK: blocks here
		configPolls.Add(1)
		_ = path
	}
}

func init() {
	register("sleep-loop", scenario{
		start: func(s *service) {
			s.handle("/watch", func(w http.ResponseWriter, r *http.Request) {
				go pollConfig(r.URL.Query().Get("path")) // LEAK: started here
				w.WriteHeader(http.StatusAccepted)
			})
		},
		traffic: func(s *service) {
			for i := 0; i < s.n; i++ {
				s.get("/watch?path=/etc/app.yaml")
			}
		},
	})
}
