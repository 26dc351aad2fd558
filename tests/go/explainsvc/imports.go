package main

import (
	"errors"
	"fmt"
	"log"
	"net/http"
	"strings"
	"sync"
	"time"
)

type orderLine struct{ fields []string }

// Imports stream lines to a writer goroutine that ranges over the channel; the handler
// forgets to close it, so the writer waits for more lines forever.

func storeLines(lines <-chan orderLine, stored *int) {
	for l := range lines { // BLOCKS: range
		*stored += len(l.fields)
	}
}

func (s *server) handleImport(w http.ResponseWriter, r *http.Request) {
	lines := make(chan orderLine)
	var stored int
	go storeLines(lines, &stored) // CAUSE: range
	for _, text := range strings.Split("a,b\nc,d", "\n") {
		lines <- orderLine{fields: strings.Split(text, ",")}
	}
	fmt.Fprintln(w, "imported")
}

// A batch is split in parts processed in parallel; a part that fails returns before Done, so
// the goroutine that waits for all parts (to close `done`) waits forever.

var errBadPart = errors.New("bad part")

func shipPart(part int) error {
	if part == 1 {
		return errBadPart
	}
	return nil
}

func (s *server) handleBatch(w http.ResponseWriter, r *http.Request) {
	var wg sync.WaitGroup
	for p := 0; p < 3; p++ {
		wg.Add(1)
		go func() {
			if err := shipPart(p); err != nil {
				return // CAUSE: waitgroup
			}
			wg.Done()
		}()
	}
	done := make(chan struct{})
	go func() {
		wg.Wait() // BLOCKS: waitgroup
		close(done)
	}()
	select {
	case <-done:
		fmt.Fprintln(w, "shipped")
	case <-time.After(20 * time.Millisecond):
		http.Error(w, "batch timed out", http.StatusGatewayTimeout)
	}
}

// An upload starts a goroutine that waits for the outcome to record it, then returns on a
// validation error without ever sending one.

type uploadOutcome struct {
	name string
	err  error
}

func recordOutcome(outcomes <-chan uploadOutcome) {
	o := <-outcomes // BLOCKS: receive
	if o.err != nil {
		log.Printf("upload %s failed: %v", o.name, o.err)
	}
}

func (s *server) handleUpload(w http.ResponseWriter, r *http.Request) {
	outcomes := make(chan uploadOutcome)
	go recordOutcome(outcomes)
	if r.ContentLength <= 0 {
		http.Error(w, "empty upload", http.StatusBadRequest)
		return // CAUSE: receive
	}
	outcomes <- uploadOutcome{name: r.URL.Path}
	w.WriteHeader(http.StatusAccepted)
}
