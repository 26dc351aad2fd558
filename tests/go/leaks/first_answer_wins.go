package main

import (
	"fmt"
	"net/http"
	"time"
)

// first-answer-wins: a search fans out to three replicas and answers with the fastest. The
// result channel is unbuffered, so the two slower replicas block on their sends forever.

type replica struct {
	name  string
	delay time.Duration
}

var searchReplicas = []replica{
	{"search-a", 1 * time.Millisecond},
	{"search-b", 5 * time.Millisecond},
	{"search-c", 10 * time.Millisecond},
}

func (r replica) search(q string) string {
	time.Sleep(r.delay)
	return r.name + ": results for " + q
}

func firstAnswer(q string) string {
	results := make(chan string)
	for _, r := range searchReplicas {
		go func() { // LEAK: started here
			results <- r.search(q) // LEAK: blocks here
		}()
	}
	return <-results
}

func init() {
	register("first-answer-wins", scenario{
		start: func(s *service) {
			s.handle("/search", func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintln(w, firstAnswer(r.URL.Query().Get("q")))
			})
		},
		traffic: func(s *service) {
			for i := 0; i < s.n; i++ {
				s.get("/search?q=goroutines")
			}
		},
	})
}
