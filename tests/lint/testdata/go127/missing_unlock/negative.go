package missing_unlock

import (
	"log"
	"sync"
)

type Counter struct {
	mu sync.Mutex
	n  map[string]int
}

// Deferred unlock: every path releases.
func (c *Counter) Inc(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[key]++
	return c.n[key]
}

// Unlocked on every branch without defer.
func (c *Counter) Take(key string) (int, bool) {
	c.mu.Lock()
	v, ok := c.n[key]
	if !ok {
		c.mu.Unlock()
		return 0, false
	}
	delete(c.n, key)
	c.mu.Unlock()
	return v, true
}

// A lock wrapper: locks on purpose, its partner method unlocks.
type Conn struct {
	mu     sync.Mutex
	closed bool
}

func (c *Conn) lockOpen() bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	return true
}

func (c *Conn) unlock() { c.mu.Unlock() }

// Returns holding the lock on its normal path: the caller unlocks (documented contract).
func (c *Conn) acquire() *Conn {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	return c
}

func (c *Conn) Write() {
	if conn := c.acquire(); conn != nil {
		defer conn.unlock()
	}
}

// Unlock then relock around slow work inside a loop.
type Queue struct {
	mu    sync.Mutex
	items []string
}

func (q *Queue) Process(handle func(string)) {
	q.mu.Lock()
	for len(q.items) > 0 {
		it := q.items[0]
		q.items = q.items[1:]
		q.mu.Unlock()
		handle(it)
		q.mu.Lock()
	}
	q.mu.Unlock()
}

// log.Fatal never returns, so the lock does not matter on that path.
func (q *Queue) MustPush(it string) {
	q.mu.Lock()
	if it == "" {
		log.Fatal("empty item")
	}
	q.items = append(q.items, it)
	q.mu.Unlock()
}

// Read lock released through a helper that unlocks.
type Index struct {
	mu   sync.RWMutex
	keys []string
}

func (ix *Index) runlockAndLog(msg string) {
	ix.mu.RUnlock()
	log.Print(msg)
}

func (ix *Index) First() string {
	ix.mu.RLock()
	if len(ix.keys) == 0 {
		ix.runlockAndLog("empty index")
		return ""
	}
	k := ix.keys[0]
	ix.mu.RUnlock()
	return k
}
