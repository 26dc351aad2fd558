package main

import (
	"fmt"
	"net/http"
	"time"
)

// A quote is asked from the pricing engine with a deadline. When the deadline wins, nobody
// receives the engine's answer and the goroutine that computed it waits forever to send it.

func computeQuote(sku string) float64 {
	time.Sleep(50 * time.Millisecond)
	return 42.0
}

func (s *server) handleQuote(w http.ResponseWriter, r *http.Request) {
	quotes := make(chan float64)
	go func() {
		quotes <- computeQuote("A-1") // BLOCKS: chan-send
	}()
	select {
	case q := <-quotes:
		fmt.Fprintln(w, q)
	case <-time.After(10 * time.Millisecond):
		http.Error(w, "pricing too slow", http.StatusGatewayTimeout)
	}
}
