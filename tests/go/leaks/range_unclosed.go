package main

import (
	"fmt"
	"net/http"
	"strings"
)

// range-unclosed: an import handler streams rows to a writer goroutine that ranges over the
// channel. The handler forgets to close the channel, so the writer waits for more rows forever.

type row struct{ fields []string }

func storeRows(rows <-chan row, stored *int) {
	for r := range rows { // LEAK: blocks here
		*stored += len(r.fields)
	}
}

func handleImport(w http.ResponseWriter, r *http.Request) {
	rows := make(chan row)
	var stored int
	go storeRows(rows, &stored) // LEAK: started here
	for _, line := range strings.Split("a,b\nc,d\ne,f", "\n") {
		rows <- row{fields: strings.Split(line, ",")}
	}
	// Missing: close(rows)
	fmt.Fprintln(w, "imported")
}

func init() {
	register("range-unclosed", scenario{
		start: func(s *service) { s.handle("/import", handleImport) },
		traffic: func(s *service) {
			for i := 0; i < s.n; i++ {
				s.get("/import")
			}
		},
	})
}
