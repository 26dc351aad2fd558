// manygoroutines starts -n goroutines spread over ten distinct stack shapes (channel sends and
// receives, selects, mutex and WaitGroup waits, sleeps, deep recursion, labelled workers) and
// writes a debug=2 goroutine dump, the format goleash must parse at speed, to -o.
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
	block = make(chan struct{})
	mu    sync.Mutex
	rw    sync.RWMutex
	wg    sync.WaitGroup
)

type server struct{ name string }

//go:noinline
func (s *server) handle(ch chan int, n int) { ch <- n }

//go:noinline
func send(ch chan int, v int) { ch <- v }

//go:noinline
func recv(ch chan int, id string) int { return <-ch }

//go:noinline
func sel(a, b chan int, s []byte) int {
	select {
	case v := <-a:
		return v
	case v := <-b:
		return v
	}
}

//go:noinline
func lock(id int) { mu.Lock() }

//go:noinline
func rlock(id int) { rw.RLock() }

//go:noinline
func wait(x, y int) { wg.Wait() }

//go:noinline
func sleeper(d int) { time.Sleep(time.Hour) }

//go:noinline
func deep(n int, s string) {
	if n == 0 {
		<-block
		return
	}
	deep(n-1, s)
}

//go:noinline
func labelled(i int) {
	pprof.Do(context.Background(), pprof.Labels("worker", fmt.Sprint(i%4), "tenant", "acme corp"),
		func(context.Context) { <-block })
}

func main() {
	n := flag.Int("n", 100000, "goroutines to start")
	out := flag.String("o", "dump.txt", "output path for the debug=2 dump")
	flag.Parse()

	mu.Lock()
	rw.Lock()
	wg.Add(1)
	var started sync.WaitGroup
	for i := 0; i < *n; i++ {
		started.Add(1)
		i := i
		go func() {
			started.Done()
			switch i % 10 {
			case 0:
				send(make(chan int), i)
			case 1:
				recv(make(chan int), "x")
			case 2:
				sel(make(chan int), make(chan int), nil)
			case 3:
				lock(i)
			case 4:
				rlock(i)
			case 5:
				wait(i, i+1)
			case 6:
				sleeper(i)
			case 7:
				deep(20, "abc")
			case 8:
				labelled(i)
			default:
				(&server{"s"}).handle(make(chan int), i)
			}
		}()
	}
	started.Wait()
	// Let every goroutine reach its blocking point before the dump.
	for runtime.NumGoroutine() < *n+1 {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := pprof.Lookup("goroutine").WriteTo(f, 2); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(runtime.NumGoroutine())
}
