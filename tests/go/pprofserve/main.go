// pprofserve serves net/http/pprof on 127.0.0.1 with a known set of goroutines, so tests can
// scrape every goroutine profile format and check what goleash reads against the runtime.
//
// Goroutines it starts (besides main, the accept loop and per-request ones):
//   - 4 pool workers receiving on a package-level channel: parked, not leaked.
//   - 3 workers labelled handler=/api/v1, tenant="acme corp", waiting on a package-level
//     channel: parked, not leaked.
//   - 5 senders blocked on channels nobody else references: leaked.
//   - 2 receivers labelled job=report (and a note that needs quoting) on channels nobody else references: leaked.
//
// main ends in select {} as many services do, which makes the goroutineleak profile print
// its empty record.
//
// Flags: -noleak serves the pprof routes a hard-coded router would (no goroutineleak).
// Extra endpoint: /count prints runtime.NumGoroutine().
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	rpprof "runtime/pprof"
	"strconv"
	"strings"
)

var (
	jobs = make(chan int)
	quit = make(chan struct{})
)

func poolWorker() {
	for range jobs {
	}
}

func labelledWorker() {
	<-quit
}

func leakySend(v int) {
	// The value sent is computed in the goroutine, not captured: go1.27.3 does not report
	// `go func() { ch <- v }()` with v captured beside ch (measured), and the tests need leaks
	// the goroutineleak profile does report.
	ch := make(chan string)
	go func() {
		ch <- strconv.Itoa(v) // nobody ever receives: leaked
	}()
}

func leakyReceive() {
	ch := make(chan string)
	go func() {
		fmt.Println(<-ch) // nobody ever sends: leaked
	}()
}

func main() {
	noLeak := flag.Bool("noleak", false, "serve only the classic pprof routes (no goroutineleak)")
	flag.Parse()

	for i := 0; i < 4; i++ {
		go poolWorker()
	}
	rpprof.Do(context.Background(), rpprof.Labels("handler", "/api/v1", "tenant", "acme corp"),
		func(context.Context) {
			for i := 0; i < 3; i++ {
				go labelledWorker()
			}
		})
	for i := 0; i < 5; i++ {
		leakySend(i)
	}
	// The note needs Go quoting in every format: a quote, a tab, a control byte, non-ASCII.
	note := "say \"hi\"\t\x01 ✓"
	rpprof.Do(context.Background(), rpprof.Labels("job", "report", "note", note), func(context.Context) {
		for i := 0; i < 2; i++ {
			leakyReceive()
		}
	})

	mux := http.NewServeMux()
	if *noLeak {
		// Like routers that hard-code the classic profiles: /debug/pprof/goroutineleak is a 404.
		mux.HandleFunc("/debug/pprof/{name}", func(w http.ResponseWriter, r *http.Request) {
			name := r.PathValue("name")
			if name != "goroutine" {
				http.NotFound(w, r)
				return
			}
			pprof.Handler(name).ServeHTTP(w, r)
		})
	} else {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
	}
	mux.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, strconv.Itoa(runtime.NumGoroutine()))
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go func() {
		if err := http.Serve(ln, mux); err != nil && !strings.Contains(err.Error(), "closed") {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}()
	fmt.Printf("http://%s\n", ln.Addr())
	select {}
}
