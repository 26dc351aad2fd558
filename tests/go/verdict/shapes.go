package main

// Leak shapes reduced from real bug reports (timeouts racing a result, error paths that skip a
// send, a close, a Done, an Unlock or a Broadcast, lock-order inversions, response bodies never
// closed, stoppers whose workers wait on each other). Each function is one call of the buggy
// code: it starts n instances and returns (after hold()).

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

var errBackend = errors.New("backend unavailable")

// abandonedSend: the caller waits for a slow lookup with a timeout; after the timeout nobody
// receives, and the lookup's send blocks for good.
func abandonedSend(n int) {
	for i := 0; i < n; i++ {
		answer := make(chan string)
		go func() {
			time.Sleep(time.Millisecond)
			answer <- "value" // LEAK
		}()
		select {
		case v := <-answer:
			_ = v
		case <-time.After(100 * time.Microsecond):
		}
	}
	hold()
}

// abandonedReceive: a result goroutine waits for the value; the error path returns before
// sending it.
func abandonedReceive(n int) {
	for i := 0; i < n; i++ {
		result := make(chan int)
		go func() {
			v := <-result // LEAK
			fmt.Fprintln(io.Discard, v)
		}()
		if err := fetch(i); err != nil {
			continue // the error path forgets the waiting goroutine
		}
		result <- 1
	}
	hold()
}

func fetch(int) error { return errBackend }

// selectNoExit: a subscription forwards updates and errors; the loop has no way out and the
// publisher never comes.
func selectNoExit(n int) {
	for i := 0; i < n; i++ {
		updates, errs := make(chan string), make(chan error)
		go func() {
			for {
				select { // LEAK
				case u := <-updates:
					fmt.Fprintln(io.Discard, u)
				case err := <-errs:
					fmt.Fprintln(io.Discard, err)
				}
			}
		}()
	}
	hold()
}

// rangeNeverClosed: a fan-out of three workers ranges over a job channel; the producer stops
// on an error without closing it.
func rangeNeverClosed(n int) {
	for i := 0; i < n; i++ {
		jobs := make(chan int)
		for w := 0; w < 3; w++ {
			go func() {
				for j := range jobs { // LEAK
					fmt.Fprintln(io.Discard, j)
				}
			}()
		}
		go func() {
			for j := 0; j < 2; j++ {
				jobs <- j
			}
			// error: return without close(jobs)
		}()
	}
	hold()
}

// waitgroupMissingDone: one worker returns early without Done; the goroutine that waits to
// close `done` waits for good, and the caller gave up on `done` after a timeout.
func waitgroupMissingDone(n int) {
	for i := 0; i < n; i++ {
		var wg sync.WaitGroup
		done := make(chan struct{})
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func(w int) {
				if w == 1 {
					return // error path: no wg.Done()
				}
				wg.Done()
			}(w)
		}
		go func() {
			wg.Wait() // LEAK
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(100 * time.Microsecond):
		}
	}
	hold()
}

// mutexErrorPath: a refresh keeps the lock on its error path; every later refresh blocks.
type tokenCache struct {
	mu    sync.Mutex
	token string
}

func (c *tokenCache) refresh(fail bool) {
	c.mu.Lock() // LEAK
	if fail {
		return
	}
	c.token = "t"
	c.mu.Unlock()
}

func mutexErrorPath(n int) {
	c := &tokenCache{}
	c.refresh(true)
	for i := 0; i < n; i++ {
		go c.refresh(false)
	}
	hold()
}

// lockOrder: two goroutines take the same two locks in opposite order.
func lockOrder(n int) {
	for i := 0; i < n; i++ {
		var a, b sync.Mutex
		var both sync.WaitGroup
		both.Add(2)
		go func() {
			a.Lock()
			both.Done()
			both.Wait()
			b.Lock() // LEAK
		}()
		go func() {
			b.Lock()
			both.Done()
			both.Wait()
			a.Lock() // LEAK
		}()
	}
	hold()
}

// condNeverSignalled: waiters wait for a ready flag; the setter fails and never broadcasts.
func condNeverSignalled(n int) {
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	ready := false
	for i := 0; i < n; i++ {
		go func() {
			mu.Lock()
			for !ready {
				cond.Wait() // LEAK
			}
			mu.Unlock()
		}()
	}
	go func() {
		if err := fetch(0); err != nil {
			return // no Broadcast
		}
		mu.Lock()
		ready = true
		cond.Broadcast()
		mu.Unlock()
	}()
	hold()
}

// httpBodyUnclosed: each call builds a client and checks only the status code; the body is
// neither read nor closed, so the connection's read and write loops stay.
var upstream = sync.OnceValue(func() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"cents": 4200}`)
	}))
	return "http://" + ln.Addr().String()
})

func httpBodyUnclosed(n int) {
	for i := 0; i < n; i++ {
		client := &http.Client{Transport: &http.Transport{}}
		resp, err := client.Get(upstream() + "/price")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if resp.StatusCode != http.StatusOK { // the body is never closed
			fmt.Fprintln(os.Stderr, resp.Status)
		}
	}
	hold()
}

// nestedStopper: a stopper's task waits for the stop signal, and Stop, holding the stopper's
// lock, waits for the task to drain: each call leaves three goroutines waiting on each other.
type stopper struct {
	mu      sync.Mutex
	stopped chan struct{}
	tasks   sync.WaitGroup
}

func (s *stopper) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tasks.Wait() // LEAK
	close(s.stopped)
}

func nestedStopper(n int) {
	for i := 0; i < n; i++ {
		go func() {
			s := &stopper{stopped: make(chan struct{})}
			s.tasks.Add(1)
			go func() {
				<-s.stopped // LEAK
				s.tasks.Done()
			}()
			done := make(chan struct{})
			go func() {
				s.stop()
				close(done)
			}()
			<-done // LEAK
		}()
	}
	hold()
}

// firstResultWins: a request asks three replicas and takes the first answer from an
// unbuffered channel; the two slower replicas block on their send for good.
func firstResultWins(n int) {
	for i := 0; i < n; i++ {
		answers := make(chan int)
		for r := 0; r < 3; r++ {
			go func() {
				time.Sleep(time.Duration(r) * time.Millisecond)
				answers <- r // LEAK
			}()
		}
		fmt.Fprintln(io.Discard, <-answers)
	}
	hold()
}

// tickerNeverStopped: each call starts a polling loop on a ticker with no way to stop it; the
// caller forgets it when it returns.
func tickerNeverStopped(n int) {
	for i := 0; i < n; i++ {
		t := time.NewTicker(time.Hour)
		go func() {
			for range t.C { // LEAK
				fmt.Fprintln(io.Discard, "poll")
			}
		}()
	}
	hold()
}
