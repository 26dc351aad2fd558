package main

import (
	"log"
	"net/http"
)

// select-no-exit: each subscription starts a forwarding loop that selects over its update
// and error channels. The loop has no case that ends it (no ctx.Done, no closed channel),
// and the publisher never comes, so every subscription leaves one goroutine behind.

type update struct{ topic, body string }

func forward(updates <-chan update, errs <-chan error, deliver func(update)) {
	for {
		select { // LEAK: blocks here
		case u := <-updates:
			deliver(u)
		case err := <-errs:
			log.Printf("subscription error: %v", err)
		}
	}
}

func handleSubscribe(w http.ResponseWriter, r *http.Request) {
	updates := make(chan update)
	errs := make(chan error)
	topic := r.URL.Query().Get("topic")
	go forward(updates, errs, func(u update) { log.Printf("%s: %s", topic, u.body) }) // LEAK: started here
	w.WriteHeader(http.StatusAccepted)
}

func init() {
	register("select-no-exit", scenario{
		start: func(s *service) { s.handle("/subscribe", handleSubscribe) },
		traffic: func(s *service) {
			for i := 0; i < s.n; i++ {
				s.get("/subscribe?topic=orders")
			}
		},
	})
}
