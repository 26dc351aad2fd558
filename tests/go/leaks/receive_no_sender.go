package main

import (
	"errors"
	"log"
	"net/http"
)

// receive-no-sender: an upload handler starts a goroutine that waits for the outcome of the
// upload to record it, then returns early on a validation error without ever sending it.

type uploadOutcome struct {
	name string
	err  error
}

func recordOutcome(outcomes <-chan uploadOutcome) {
	o := <-outcomes // LEAK: blocks here
	if o.err != nil {
		log.Printf("upload %s failed: %v", o.name, o.err)
	}
}

func handleUpload(w http.ResponseWriter, r *http.Request) {
	outcomes := make(chan uploadOutcome)
	go recordOutcome(outcomes) // LEAK: started here

	name := r.URL.Query().Get("name")
	if r.ContentLength <= 0 {
		// Early return: nobody will ever send on outcomes.
		http.Error(w, "empty upload", http.StatusBadRequest)
		return
	}
	outcomes <- uploadOutcome{name: name, err: errors.New("storage not configured")}
	w.WriteHeader(http.StatusAccepted)
}

func init() {
	register("receive-no-sender", scenario{
		start: func(s *service) { s.handle("/upload", handleUpload) },
		traffic: func(s *service) {
			for i := 0; i < s.n; i++ {
				s.get("/upload?name=report.csv")
			}
		},
	})
}
