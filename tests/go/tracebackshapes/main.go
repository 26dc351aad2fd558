// tracebackshapes starts goroutines in the shapes a traceback parser must read: pprof labels
// (printed in Go 1.27 headers), a goroutine locked to its thread, a recursion deep enough to
// elide frames, created-by chains whose middle goroutine has exited, a generic function, a
// method, inlined frames, and the common ways to block. It then prints a dump the way -mode
// asks, and the runtime's own goroutine count on stderr as "NumGoroutine=N".
//
// With -spin, one more goroutine loops without blocking, so a panic shows it as "running on
// other thread; stack unavailable".
//
// With -age 61s, the goroutines have waited over a minute when the dump is taken: their headers
// say ", 1 minutes".
//
// Modes: stack (runtime.Stack(all)), debug2 (goroutine profile, debug=2), leak2
// (goroutineleak profile, debug=2), panic (an unrecovered panic; set GOTRACEBACK=all), wait
// (print the count, then wait for SIGQUIT), deadlock (only channel waits, then main blocks:
// "fatal error: all goroutines are asleep").
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

var (
	spinning int
	forever  = make(chan struct{})
	mu       sync.Mutex
	wg       sync.WaitGroup
	cond     = sync.NewCond(&sync.Mutex{})
)

type store struct{ name string }

//go:noinline
func (s *store) flush(out chan<- string) { out <- s.name }

//go:noinline
func recurse(depth int, tag string) {
	if depth == 0 {
		<-forever
		return
	}
	recurse(depth-1, tag)
}

func pair[T any](v T) {
	ch := make(chan T)
	<-ch
}

func inlinedRecv(ch chan int) int { return <-ch }

//go:noinline
func grandchild() { <-forever }

//go:noinline
func child(started *sync.WaitGroup) {
	go grandchild()
	started.Done() // the child returns: its goroutine is gone, the grandchild is an orphan
}

func start(channelsOnly bool) int {
	var ready sync.WaitGroup
	n := 0
	spawn := func(f func()) {
		ready.Add(1)
		n++
		go func() {
			ready.Done()
			f()
		}()
	}
	for i := 0; i < 3; i++ {
		spawn(func() { (&store{"s"}).flush(make(chan string)) })
	}
	spawn(func() { recurse(150, "deep") })
	spawn(func() { pair[string]("x") })
	spawn(func() { inlinedRecv(make(chan int)) })
	spawn(func() {
		pprof.Do(context.Background(),
			pprof.Labels("handler", "/api/v1", "tenant", "acme corp", "quote", `say "hi"`),
			func(context.Context) { <-forever })
	})
	spawn(func() {
		runtime.LockOSThread()
		select {}
	})
	spawn(func() {
		var nilch chan int
		<-nilch
	})
	var chain sync.WaitGroup
	chain.Add(1)
	spawn(func() {
		// middle of the chain: starts child, which starts grandchild and returns
		go child(&chain)
		<-forever
	})
	ready.Add(1)
	n++ // the grandchild
	go func() { chain.Wait(); ready.Done() }()
	if !channelsOnly {
		mu.Lock()
		spawn(func() { mu.Lock() })
		wg.Add(1)
		spawn(func() { wg.Wait() })
		spawn(func() { cond.L.Lock(); cond.Wait() })
		spawn(func() { time.Sleep(time.Hour) })
	}
	ready.Wait()
	return n
}

func main() {
	mode := flag.String("mode", "stack", "stack|debug2|leak2|panic|wait|deadlock")
	spin := flag.Bool("spin", false, "also start a goroutine that never blocks (running on another thread)")
	age := flag.Duration("age", 0, "wait this long before the dump, so headers show wait minutes")
	flag.Parse()
	n := start(*mode == "deadlock")
	if *spin {
		n++
		go func() {
			for {
				spinning++
			}
		}()
	}
	// Wait until every goroutine has blocked where it should, and the count is stable.
	want := n + 1
	for runtime.NumGoroutine() != want {
		time.Sleep(5 * time.Millisecond)
	}
	if *age > 0 {
		// The runtime starts a goroutine's wait clock when a GC scans it blocked, at the time
		// the previous GC ended: so two GCs.
		runtime.GC()
		runtime.GC()
	}
	time.Sleep(100*time.Millisecond + *age)
	fmt.Fprintf(os.Stderr, "NumGoroutine=%d\n", runtime.NumGoroutine())
	switch *mode {
	case "stack":
		buf := make([]byte, 1<<20)
		os.Stdout.Write(buf[:runtime.Stack(buf, true)])
	case "debug2":
		pprof.Lookup("goroutine").WriteTo(os.Stdout, 2)
	case "leak2":
		pprof.Lookup("goroutineleak").WriteTo(os.Stdout, 2)
	case "panic":
		panic("boom")
	case "wait":
		fmt.Println("ready")
		<-forever
	case "deadlock":
		<-forever
	}
}
