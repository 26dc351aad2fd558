package main

import (
	"fmt"
	"net/http"
)

// first-answer-buffered (clean): the same fan-out as first-answer-wins, with a result channel
// that has room for every replica, so the slower ones deliver and exit.

func firstAnswerBuffered(q string) string {
	results := make(chan string, len(searchReplicas))
	for _, r := range searchReplicas {
		go func() {
			results <- r.search(q)
		}()
	}
	return <-results
}

func init() {
	register("first-answer-buffered", scenario{
		start: func(s *service) {
			s.handle("/search", func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintln(w, firstAnswerBuffered(r.URL.Query().Get("q")))
			})
		},
		traffic: func(s *service) {
			for i := 0; i < s.n; i++ {
				s.get("/search?q=goroutines")
			}
		},
	})
}
