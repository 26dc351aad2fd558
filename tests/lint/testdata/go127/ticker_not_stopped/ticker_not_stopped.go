package ticker_not_stopped

import (
	"errors"
	"net"
	"sync"
	"time"
)

func ping(conn net.Conn) error {
	_, err := conn.Write([]byte("PING\r\n"))
	return err
}

// keepAlive returns when a ping fails but never stops its ticker.
func keepAlive(conn net.Conn, every time.Duration) error {
	t := time.NewTicker(every)
	for range t.C {
		if err := ping(conn); err != nil {
			return err
		}
	}
	return nil
}

// waitReady polls with time.Tick in a function that returns.
func waitReady(ready func() bool, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for range time.Tick(100 * time.Millisecond) {
		if ready() {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("not ready")
		}
	}
	return nil
}

type Batcher struct {
	mu      sync.Mutex
	pending []string
	flush   func([]string)
}

// Run flushes on a ticker until the input closes, then forgets the ticker.
func (b *Batcher) Run(in <-chan string) {
	flushTicker := time.NewTicker(time.Second)
	for {
		select {
		case s, ok := <-in:
			if !ok {
				return
			}
			b.mu.Lock()
			b.pending = append(b.pending, s)
			b.mu.Unlock()
		case <-flushTicker.C:
			b.mu.Lock()
			b.flush(b.pending)
			b.pending = nil
			b.mu.Unlock()
		}
	}
}

// sampleOnce takes the first tick of a throwaway ticker.
func sampleOnce(read func() int) int {
	<-time.NewTicker(10 * time.Millisecond).C
	return read()
}

// Stopped: deferred.
func heartbeat(conn net.Conn, stop <-chan struct{}) error {
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := ping(conn); err != nil {
				return err
			}
		case <-stop:
			return nil
		}
	}
}

// Stored in a struct and stopped by Close.
type Poller struct {
	ticker *time.Ticker
}

func NewPoller(every time.Duration) *Poller {
	t := time.NewTicker(every)
	return &Poller{ticker: t}
}

func (p *Poller) Close() { p.ticker.Stop() }

// Returned to the caller, who owns it.
func newRefreshTicker(every time.Duration) *time.Ticker {
	t := time.NewTicker(every)
	return t
}

// Stopped explicitly on every path.
func retry(op func() error, attempts int) error {
	t := time.NewTicker(time.Second)
	for i := 0; i < attempts; i++ {
		if err := op(); err == nil {
			t.Stop()
			return nil
		}
		<-t.C
	}
	t.Stop()
	return errors.New("gave up")
}

// An endless function: time.Tick is fine here (staticcheck SA1015 agrees).
func reportForever(report func()) {
	for range time.Tick(time.Minute) {
		report()
	}
}
