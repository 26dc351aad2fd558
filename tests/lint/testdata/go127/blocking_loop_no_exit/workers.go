package blocking_loop_no_exit

import (
	"context"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

type Event struct{ Kind string }

type Client struct {
	events chan Event
	quit   chan struct{}
	seen   int
}

func (c *Client) handle(ev Event) { c.seen++ }

// Each client starts a consumer that can never stop.
func NewClient() *Client {
	c := &Client{events: make(chan Event), quit: make(chan struct{})}
	go func() {
		for { // want "blocking-loop-no-exit"
			ev := <-c.events
			c.handle(ev)
		}
	}()
	return c
}

// Fixed: the quit case returns.
func NewClientQuit() *Client {
	c := &Client{events: make(chan Event), quit: make(chan struct{})}
	go func() {
		for {
			select {
			case ev := <-c.events:
				c.handle(ev)
			case <-c.quit:
				return
			}
		}
	}()
	return c
}

// The ok-check leaves the loop when the channel is closed.
func (c *Client) startOK() {
	go func() {
		for {
			ev, ok := <-c.events
			if !ok {
				return
			}
			c.handle(ev)
		}
	}()
}

// `go s.loop()` with the method in this file: the loop only breaks out of the select.
type Poller struct {
	ticks  chan time.Time
	client *http.Client
}

func (p *Poller) Start() {
	go p.loop()
}

func (p *Poller) loop() {
	for { // want "blocking-loop-no-exit"
		select {
		case t := <-p.ticks:
			if t.IsZero() {
				break
			}
			log.Println("tick", t)
		}
	}
}

// A labelled break leaves the loop.
func (p *Poller) drain() {
	go func() {
	loop:
		for {
			select {
			case t := <-p.ticks:
				if t.IsZero() {
					break loop
				}
			}
		}
	}()
}

// A forwarding goroutine with sends and receives and no exit.
func Forward(in <-chan []byte, out chan<- []byte) {
	go func() {
		for { // want "blocking-loop-no-exit"
			b := <-in
			out <- b
		}
	}()
}

// A retry loop that sleeps but never blocks on a channel: not this rule's concern.
func Heartbeat(ping func() error) {
	go func() {
		for {
			if err := ping(); err != nil {
				log.Println(err)
			}
			time.Sleep(time.Second)
		}
	}()
}

// A worker that waits for jobs forever, per request.
func HandleUpload(w http.ResponseWriter, r *http.Request) {
	parts := make(chan []byte)
	go func() {
		for { // want "blocking-loop-no-exit"
			part := <-parts
			log.Printf("part of %d bytes", len(part))
		}
	}()
	parts <- []byte(r.URL.Path)
	w.WriteHeader(http.StatusAccepted)
}

// A fatal exit is a way out.
func Supervise(errs <-chan error) {
	go func() {
		for {
			if err := <-errs; err != nil {
				log.Fatalf("worker failed: %v", err)
			}
		}
	}()
}

// The cancellation case exists: whether it leaves is ctx-done-no-exit's question.
func Watch(ctx context.Context, updates <-chan string) {
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case u := <-updates:
				log.Println(u)
			}
		}
	}()
}

// The main goroutine of a server runs forever by design, and so do goroutines it starts.
func main() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGHUP)
	go func() {
		for {
			<-sigs
			log.Println("reload")
		}
	}()
	for {
		select {}
	}
}

// A signal forwarder serves the process until it exits (serf's makeShutdownCh).
func ShutdownCh() <-chan struct{} {
	resultCh := make(chan struct{})
	signalCh := make(chan os.Signal, 4)
	signal.Notify(signalCh, os.Interrupt)
	go func() {
		for {
			<-signalCh
			resultCh <- struct{}{}
		}
	}()
	return resultCh
}

// A relay of ordinary events started per call still leaks.
func Relay(events <-chan string) <-chan string {
	out := make(chan string)
	go func() {
		for { // want "blocking-loop-no-exit"
			out <- <-events
		}
	}()
	return out
}
