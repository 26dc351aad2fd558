package defer_in_loop

import (
	"sync"
	"sync/atomic"
)

// readerCount is a reader/writer gate in the shape of database/sql's closemu: the defer runs in
// the iteration that returns, so nothing piles up.
type readerCount struct {
	state atomic.Int32
	mu    sync.Mutex
	cond  *sync.Cond
}

func (r *readerCount) release() {
	for {
		x := r.state.Load()
		if r.state.CompareAndSwap(x, x-2) {
			if x-2 == 1 {
				r.mu.Lock()
				defer r.mu.Unlock()
				r.cond.Broadcast()
			}
			return
		}
	}
}

// drainLocked may go round again after the defer: each round takes the lock once more and the
// deferred unlocks only run when the function returns.
func (r *readerCount) drainLocked(more func() bool) {
	for {
		r.mu.Lock()
		defer r.mu.Unlock() // want "defer-in-loop"
		if more() {
			continue
		}
		return
	}
}
