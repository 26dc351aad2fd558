package missing_unlock

import (
	"errors"
	"sync"
)

// Negative cases from services' code the rule once misread.

type IdlePool struct {
	mu    sync.Mutex
	other sync.Mutex
	cond  *sync.Cond
	idle  []int
	busy  bool
}

// The lock state lives in a flag: the unlock is guarded by it and the function goes on.
func (p *IdlePool) Take(fast bool) (int, error) {
	locked := false
	if !fast {
		p.mu.Lock()
		locked = true
	}
	if locked {
		p.mu.Unlock()
	}
	p.mu.Lock()
	held := true
	if len(p.idle) == 0 {
		if held {
			p.mu.Unlock()
		}
		return 0, errors.New("empty")
	}
	v := p.idle[0]
	p.idle = p.idle[1:]
	p.mu.Unlock()
	return v, nil
}

// fill is called with p.mu held ("mu must be held"): it lets go around slow work and takes the
// lock back for its caller, so it returns holding it on purpose.
func (p *IdlePool) fill(n int) error {
	p.mu.Unlock()
	fresh := make([]int, n)
	p.mu.Lock()
	if p.busy {
		return errors.New("busy")
	}
	p.idle = append(p.idle, fresh...)
	return nil
}

// Two different locks: the other one's Unlock does not release p.mu (so the early return that
// unlocks only p.other is still a leak of p.mu: reported).
func (p *IdlePool) Swap() error {
	p.other.Lock()
	p.mu.Lock() // want "missing-unlock"
	if p.busy {
		p.other.Unlock()
		return errors.New("busy")
	}
	p.mu.Unlock()
	p.other.Unlock()
	return nil
}
