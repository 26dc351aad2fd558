package cond_wait_no_loop

import "sync"

type Latch struct {
	mu   sync.Mutex
	cond *sync.Cond
	open bool
}

func NewLatch() *Latch {
	l := &Latch{}
	l.cond = sync.NewCond(&l.mu)
	return l
}

// Positive: the Broadcast may have come before this Wait.
func (l *Latch) Await() {
	l.mu.Lock()
	l.cond.Wait() // want "cond-wait-no-loop"
	l.mu.Unlock()
}

// Negative: waits in a loop on the condition.
func (l *Latch) AwaitFixed() {
	l.mu.Lock()
	for !l.open {
		l.cond.Wait()
	}
	l.mu.Unlock()
}

// Negative: a handshake: signal, then wait for the answer under the same lock.
func (l *Latch) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open = true
	l.cond.Signal()
	l.cond.Wait()
}

// Negative: a Wait under a test of the condition (may wake early, does not miss it).
func (l *Latch) Peek() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.open {
		l.cond.Wait()
	}
	return l.open
}

// Negative: a WaitGroup's Wait is not a Cond's.
func all(fs []func()) {
	var wg sync.WaitGroup
	for _, f := range fs {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	wg.Wait()
}
