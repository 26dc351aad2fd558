package main

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// cancel-workers (clean): background consumers run for the life of the service and stop on
// its context; per-request workers stop when the request's context is cancelled. After the
// requests only the consumers remain, waiting in a select that can end.

func consume(ctx context.Context, queue <-chan string) {
	for {
		select {
		case <-ctx.Done():
			return
		case msg := <-queue:
			_ = msg
		}
	}
}

func crawl(ctx context.Context, urls []string) string {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the workers that lose the race
	found := make(chan string)
	for i, u := range urls {
		go func() {
			time.Sleep(time.Duration(i) * time.Millisecond)
			select {
			case found <- u:
			case <-ctx.Done():
			}
		}()
	}
	return <-found
}

func init() {
	register("cancel-workers", scenario{
		start: func(s *service) {
			queue := make(chan string)
			for i := 0; i < 4; i++ {
				go consume(s.ctx, queue)
			}
			s.handle("/crawl", func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintln(w, crawl(r.Context(), []string{"a", "b", "c"}))
			})
		},
		traffic: func(s *service) {
			for i := 0; i < s.n; i++ {
				s.get("/crawl")
			}
		},
	})
}
