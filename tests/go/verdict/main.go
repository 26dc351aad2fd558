// Command verdict runs goroutine-leak shapes reduced from real bug reports, in the three
// contexts a dump meets them in, so goleash's verdict can be measured without the runtime's
// help (the `(leaked)` marks removed):
//
//	-mode service   each shape is triggered by HTTP requests to the program's own handlers
//	                (leaks started by request handlers; their connections are closed after)
//	-mode keepalive the same over one keep-alive connection that stays open
//	-mode startup   main calls each shape's function a few times at start-up, then parks
//	-mode inline    the shapes run while the function that started them is still on the main
//	                goroutine's stack, the way a test or a profiling harness captures them
//	-mode healthy   no leak: worker pools, background loops, keep-alive connections
//	-mode deadlock  every goroutine blocks: the runtime prints "all goroutines are asleep"
//
// Lines where a leaked goroutine blocks carry `// LEAK`; lines where a healthy pool waits
// carry `// POOL`. The program serves net/http/pprof and prints `listening on ADDR` when
// every goroutine has reached its wait.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"time"
)

// shape is one leak pattern: run starts it once (one "call" of the buggy code).
type shape struct {
	name string
	run  func(n int) // starts n instances, then calls hold()
}

var shapes = []shape{
	{"abandoned-send", abandonedSend},
	{"abandoned-receive", abandonedReceive},
	{"select-no-exit", selectNoExit},
	{"range-never-closed", rangeNeverClosed},
	{"waitgroup-missing-done", waitgroupMissingDone},
	{"mutex-error-path", mutexErrorPath},
	{"lock-order", lockOrder},
	{"cond-never-signalled", condNeverSignalled},
	{"http-body-unclosed", httpBodyUnclosed},
	{"nested-stopper", nestedStopper},
	{"first-result-wins", firstResultWins},
	{"ticker-never-stopped", tickerNeverStopped},
}

var (
	calls = flag.Int("n", 4, "calls of each shape")
	addr  = flag.String("addr", "127.0.0.1:0", "pprof address")
	only  = flag.String("shape", "", "-mode inline: the shape to run")
	out   = flag.String("out", ".", "-mode inline: where to write the dumps")
)

func main() {
	mode := flag.String("mode", "service", "service, startup, inline, healthy or deadlock")
	flag.Parse()

	if *mode == "deadlock" {
		wg := startDeadlock()
		wg.Wait() // LEAK
		return
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go http.Serve(ln, nil)
	base := "http://" + ln.Addr().String()
	// A log shipper started by main itself (a function literal of main.main) waits for lines
	// for the life of the process.
	logs := make(chan string, 64)
	go func() {
		for line := range logs { // POOL
			fmt.Fprintln(io.Discard, line)
		}
	}()
	defer close(logs)
	logs <- "started " + *mode
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt)

	switch *mode {
	case "service", "keepalive":
		// A leaky service still has its healthy pools and loops.
		startHealthy(base)
		serveShapes(base, *mode == "keepalive")
	case "startup":
		startHealthy(base)
		for _, s := range shapes {
			for i := 0; i < *calls; i++ {
				s.run(1)
			}
		}
	case "inline":
		// One shape per process; the shape's function writes the dumps itself before it
		// returns, the way a test or a profiling harness captures them.
		for _, s := range shapes {
			if s.name == *only {
				hold = func() { writeDumps(*out) }
				s.run(*calls)
				return
			}
		}
		fmt.Fprintf(os.Stderr, "unknown shape %q\n", *only)
		os.Exit(2)
	case "healthy":
		startHealthy(base)
	default:
		fmt.Fprintf(os.Stderr, "unknown mode %q\n", *mode)
		os.Exit(2)
	}
	ready(ln)
	<-stop
}

// hold is called by each shape's function after it started its goroutines. In -mode inline it
// writes the dumps while that function is still on the stack; otherwise it does nothing.
var hold = func() {}

// writeDumps waits for the goroutines to reach their waits and writes every format to DIR.
func writeDumps(dir string) {
	settle()
	for name, p := range map[string]struct {
		profile string
		debug   int
	}{
		"leak2.txt":    {"goroutineleak", 2},
		"debug2.txt":   {"goroutine", 2},
		"debug1.txt":   {"goroutine", 1},
		"debug0.pb.gz": {"goroutine", 0},
	} {
		f, err := os.Create(dir + "/" + name)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		pprof.Lookup(p.profile).WriteTo(f, p.debug)
		f.Close()
	}
}

// serveShapes registers one handler per shape, labelled like request middleware does, and
// calls each n times over connections that are closed afterwards.
func serveShapes(base string, keepAlive bool) {
	for _, s := range shapes {
		run := s.run
		http.HandleFunc("/"+s.name, func(w http.ResponseWriter, r *http.Request) {
			pprof.Do(r.Context(), pprof.Labels("route", r.URL.Path), func(context.Context) {
				run(1)
			})
			io.WriteString(w, "ok\n")
		})
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: !keepAlive}}
	for _, s := range shapes {
		for i := 0; i < *calls; i++ {
			resp, err := client.Get(base + "/" + s.name)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
}

// settle waits until the goroutine count holds still: every goroutine has reached its wait.
func settle() {
	last, same := -1, 0
	deadline := time.Now().Add(15 * time.Second)
	for same < 30 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		if c := runtime.NumGoroutine(); c == last {
			same++
		} else {
			last, same = c, 0
		}
	}
}

// ready tells the harness that the dump can be taken.
func ready(ln net.Listener) {
	settle()
	fmt.Printf("goroutines %d\n", runtime.NumGoroutine())
	fmt.Printf("listening on %s\n", ln.Addr())
}
