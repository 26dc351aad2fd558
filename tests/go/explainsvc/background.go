package main

import (
	"net/http"
	"sync/atomic"
	"time"
)

// Each session starts a heartbeat on a ticker, and each watch request a polling loop that
// sleeps between polls. Neither has a way to stop, so one goroutine per request stays forever.

var heartbeats, polls atomic.Int64

func heartbeat(session string) {
	t := time.NewTicker(time.Minute)
	for range t.C { // BLOCKS: ticker
		heartbeats.Add(1)
		_ = session
	}
}

func pollConfig(path string) {
	for {
		time.Sleep(time.Minute) // BLOCKS: sleep
		polls.Add(1)
		_ = path
	}
}

func (s *server) handleSession(w http.ResponseWriter, r *http.Request) {
	go heartbeat(r.URL.Query().Get("id")) // CAUSE: ticker
	w.WriteHeader(http.StatusCreated)
}

func (s *server) handleWatch(w http.ResponseWriter, r *http.Request) {
	go pollConfig("/etc/orders.yaml") // CAUSE: sleep
	w.WriteHeader(http.StatusAccepted)
}
