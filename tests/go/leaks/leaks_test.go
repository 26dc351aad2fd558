package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"
)

// TestQuotesHang leaks like send-after-timeout, then hangs on a batch whose WaitGroup never
// reaches zero, so `go test -timeout 3s` panics with a dump of every goroutine. It runs only
// with LEAKS_HANG=1: it exists to be captured.
func TestQuotesHang(t *testing.T) {
	if os.Getenv("LEAKS_HANG") == "" {
		t.Skip("set LEAKS_HANG=1 to reproduce a hung test")
	}
	for i := 0; i < 3; i++ {
		if _, err := fetchQuote(context.Background(), "ACME", time.Millisecond); err == nil {
			t.Fatal("expected the pricing backend to time out")
		}
	}
	errc := make(chan error)
	go func() { errc <- processBatch(4, time.Hour) }()
	time.Sleep(200 * time.Millisecond) // the backends answer into channels nobody reads
	// Printed for the capture: the timeout dump holds these plus the testing alarm goroutine.
	fmt.Fprintf(os.Stderr, "goroutines %d\n", runtime.NumGoroutine())
	if err := <-errc; err != nil { // LEAK: test blocks here
		t.Fatal(err)
	}
}
