package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// send-after-timeout: a handler asks a slow pricing backend with a deadline. When the
// deadline wins, nobody is left to receive, and the goroutine that asked blocks on its send
// forever. Its parent (the request's connection goroutine) is long gone.

type quote struct {
	symbol string
	cents  int
}

func slowPricingBackend(symbol string) quote {
	time.Sleep(30 * time.Millisecond)
	return quote{symbol: symbol, cents: 4200}
}

var errQuoteTimeout = errors.New("pricing backend timed out")

func fetchQuote(ctx context.Context, symbol string, timeout time.Duration) (quote, error) {
	ch := make(chan quote) // unbuffered: the send needs a receiver
	go func() {            // LEAK: started here
		ch <- slowPricingBackend(symbol) // LEAK: blocks here
	}()
	select {
	case q := <-ch:
		return q, nil
	case <-time.After(timeout):
		return quote{}, errQuoteTimeout
	case <-ctx.Done():
		return quote{}, ctx.Err()
	}
}

func init() {
	register("send-after-timeout", scenario{
		start: func(s *service) {
			s.handle("/quote", func(w http.ResponseWriter, r *http.Request) {
				q, err := fetchQuote(r.Context(), r.URL.Query().Get("symbol"), 5*time.Millisecond)
				if err != nil {
					http.Error(w, err.Error(), http.StatusGatewayTimeout)
					return
				}
				fmt.Fprintf(w, "%s %d\n", q.symbol, q.cents)
			})
		},
		traffic: func(s *service) {
			for i := 0; i < s.n; i++ {
				s.get("/quote?symbol=ACME")
			}
		},
	})
}
