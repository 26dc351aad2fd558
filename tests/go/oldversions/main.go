// Command oldversions leaves a known set of blocked goroutines behind, for capturing dumps
// with older Go toolchains (it builds with Go 1.19 and later: no newer language features).
// It prints one JSON line with runtime.NumGoroutine() and the groups it started, then
// `listening on ADDR`, and serves net/http/pprof plus /count.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"sync"
	"time"
)

type group struct {
	Function string `json:"function"` // the function the goroutines block in
	Count    int    `json:"count"`
}

// lookup answers into an unbuffered channel after its caller gave up: the sender blocks.
func lookup(out chan<- int, id int) {
	out <- id // blocks: the caller has returned
}

func startLookups(n int) {
	for i := 0; i < n; i++ {
		go lookup(make(chan int), i)
	}
}

func lockedOut(mu *sync.Mutex) {
	mu.Lock() // blocks: main holds the lock
}

func waitForParts(wg *sync.WaitGroup) {
	wg.Wait() // blocks: a part never calls Done
}

func waitReady(c *sync.Cond, ready *bool) {
	c.L.Lock()
	for !*ready {
		c.Wait() // blocks: nobody signals
	}
	c.L.Unlock()
}

func forward(a, b chan string) {
	for {
		select { // blocks: nobody sends
		case <-a:
		case <-b:
		}
	}
}

func poll() {
	for {
		time.Sleep(time.Hour) // blocks: sleeps, never stops
	}
}

func main() {
	panicAfter := flag.Bool("panic", false, "panic once set up")
	flag.Parse()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	http.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, runtime.NumGoroutine())
	})

	go startLookups(3) // the parent is gone by capture time
	var mu sync.Mutex
	mu.Lock()
	for i := 0; i < 2; i++ {
		go lockedOut(&mu)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	for i := 0; i < 2; i++ {
		go waitForParts(&wg)
	}
	ready := false
	go waitReady(sync.NewCond(&sync.Mutex{}), &ready)
	for i := 0; i < 2; i++ {
		go forward(make(chan string), make(chan string))
	}
	go poll()
	go http.Serve(ln, nil)
	time.Sleep(500 * time.Millisecond)

	started := []group{
		{"main.lookup", 3},
		{"main.lockedOut", 2},
		{"main.waitForParts", 2},
		{"main.waitReady", 1},
		{"main.forward", 2},
		{"main.poll", 1},
	}
	line, _ := json.Marshal(map[string]interface{}{
		"go_version": runtime.Version(),
		"goroutines": runtime.NumGoroutine(),
		"groups":     started,
	})
	fmt.Println(string(line))
	fmt.Printf("listening on %s\n", ln.Addr())
	if *panicAfter {
		panic("oldversions: panic requested with -panic")
	}
	select {}
}
