package double_lock

import "sync"

type Cache struct {
	mu    sync.RWMutex
	items map[string]int
}

// Positive: Len takes the read lock again while Snapshot holds it.
func (c *Cache) Len() int {
	c.mu.RLock() // want "double-lock"
	defer c.mu.RUnlock()
	return len(c.items)
}

func (c *Cache) Snapshot() (map[string]int, int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make(map[string]int, len(c.items))
	for k, v := range c.items {
		out[k] = v
	}
	return out, c.Len()
}

// Negative: the helper is called after the unlock, and from a goroutine.
func (c *Cache) Set(k string, v int) int {
	c.mu.Lock()
	c.items[k] = v
	c.mu.Unlock()
	go func() { _ = c.Len() }()
	return c.Len()
}

// Negative: a locked caller using the unlocked variant.
func (c *Cache) lenLocked() int { return len(c.items) }

func (c *Cache) Reset() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.lenLocked()
	c.items = map[string]int{}
	return n
}

// Negative: an unlock helper releases before the call.
type Server struct {
	mu      sync.Mutex
	started bool
}

func unlockOnce(l sync.Locker) func() {
	var once sync.Once
	return func() { once.Do(l.Unlock) }
}

func (s *Server) serve() {
	s.mu.Lock()
	s.started = true
	s.mu.Unlock()
}

func (s *Server) Start() {
	unlock := unlockOnce(&s.mu)
	s.mu.Lock()
	defer unlock()
	if s.started {
		return
	}
	unlock()
	s.serve()
}
