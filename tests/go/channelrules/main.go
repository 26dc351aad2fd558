// Command channelrules runs, for each channel-family rule, the leaking shape the rule reports
// and its fix, and prints how many goroutines each left behind. The test suite scans this file
// with the rules and checks that what they report is exactly what leaks at run time.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"time"
)

var errInvalid = errors.New("invalid")

// abandoned-send: the answer comes after the timeout and nobody receives it.
func sendAfterTimeout() {
	result := make(chan int)
	go func() {
		time.Sleep(5 * time.Millisecond)
		result <- 42
	}()
	select {
	case <-result:
	case <-time.After(time.Millisecond):
	}
}

func sendAfterTimeoutFixed() {
	result := make(chan int, 1)
	go func() {
		time.Sleep(5 * time.Millisecond)
		result <- 42
	}()
	select {
	case <-result:
	case <-time.After(time.Millisecond):
	}
}

// abandoned-send: an early error return before the receive.
func sendEarlyReturn(valid bool) error {
	done := make(chan int)
	go func() {
		done <- 1
	}()
	if !valid {
		return errInvalid
	}
	<-done
	return nil
}

func sendEarlyReturnFixed(valid bool) error {
	if !valid {
		return errInvalid
	}
	done := make(chan int)
	go func() {
		done <- 1
	}()
	<-done
	return nil
}

// abandoned-send: first answer wins.
func firstAnswer(mirrors []string) string {
	answers := make(chan string)
	for _, m := range mirrors {
		go func() {
			answers <- m
		}()
	}
	return <-answers
}

func firstAnswerFixed(mirrors []string) string {
	answers := make(chan string, len(mirrors))
	for _, m := range mirrors {
		go func() {
			answers <- m
		}()
	}
	return <-answers
}

// abandoned-receive: the watcher waits for a close the error path skips.
func receiveEarlyReturn(valid bool) error {
	done := make(chan struct{})
	go func() {
		<-done
	}()
	if !valid {
		return errInvalid
	}
	close(done)
	return nil
}

func receiveEarlyReturnFixed(valid bool) error {
	done := make(chan struct{})
	defer close(done)
	go func() {
		<-done
	}()
	if !valid {
		return errInvalid
	}
	return nil
}

// range-never-closed: the consumer outlives its producer.
func rangeNeverClosed(items []int) {
	values := make(chan int)
	go func() {
		for v := range values {
			_ = v
		}
	}()
	for _, it := range items {
		values <- it
	}
}

func rangeNeverClosedFixed(items []int) {
	values := make(chan int)
	go func() {
		for v := range values {
			_ = v
		}
	}()
	for _, it := range items {
		values <- it
	}
	close(values)
}

type client struct {
	events chan int
	quit   chan struct{}
}

// blocking-loop-no-exit: the client's consumer can never stop.
func blockingLoop() {
	c := &client{events: make(chan int), quit: make(chan struct{})}
	go func() {
		for {
			ev := <-c.events
			_ = ev
		}
	}()
	c.events <- 1
	close(c.quit)
}

func blockingLoopFixed() {
	c := &client{events: make(chan int), quit: make(chan struct{})}
	go func() {
		for {
			select {
			case ev := <-c.events:
				_ = ev
			case <-c.quit:
				return
			}
		}
	}()
	c.events <- 1
	close(c.quit)
}

const rounds = 20

var scenarios = map[string]func(){
	"sendAfterTimeout":        sendAfterTimeout,
	"sendAfterTimeoutFixed":   sendAfterTimeoutFixed,
	"sendEarlyReturn":         func() { _ = sendEarlyReturn(false) },
	"sendEarlyReturnFixed":    func() { _ = sendEarlyReturnFixed(false) },
	"firstAnswer":             func() { firstAnswer([]string{"a", "b", "c"}) },
	"firstAnswerFixed":        func() { firstAnswerFixed([]string{"a", "b", "c"}) },
	"receiveEarlyReturn":      func() { _ = receiveEarlyReturn(false) },
	"receiveEarlyReturnFixed": func() { _ = receiveEarlyReturnFixed(false) },
	"rangeNeverClosed":        func() { rangeNeverClosed([]int{1, 2, 3}) },
	"rangeNeverClosedFixed":   func() { rangeNeverClosedFixed([]int{1, 2, 3}) },
	"blockingLoop":            blockingLoop,
	"blockingLoopFixed":       blockingLoopFixed,
}

// settle waits until the goroutine count stops changing (senders sleeping, fixes finishing).
func settle() int {
	last := runtime.NumGoroutine()
	for range 50 {
		time.Sleep(10 * time.Millisecond)
		now := runtime.NumGoroutine()
		if now == last {
			return now
		}
		last = now
	}
	return last
}

func main() {
	names := make([]string, 0, len(scenarios))
	for name := range scenarios {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		before := settle()
		for range rounds {
			scenarios[name]()
		}
		time.Sleep(20 * time.Millisecond)
		fmt.Fprintf(os.Stdout, "%s %d\n", name, settle()-before)
	}
}
