package missing_unlock

import (
	"errors"
	"sync"
)

var ErrNotFound = errors.New("not found")

type Item struct{ Value string }

type Cache struct {
	mu    sync.Mutex
	items map[string]Item
}

// Get forgets the lock on the miss path.
func (c *Cache) Get(key string) (Item, error) {
	c.mu.Lock() // want "missing-unlock"
	item, ok := c.items[key]
	if !ok {
		return Item{}, ErrNotFound
	}
	c.mu.Unlock()
	return item, nil
}

type Registry struct {
	mu       sync.RWMutex
	handlers map[string]func()
}

// Lookup returns from inside a switch while the read lock is held.
func (r *Registry) Lookup(name string) func() {
	r.mu.RLock() // want "missing-unlock"
	switch name {
	case "":
		return nil
	default:
		h := r.handlers[name]
		r.mu.RUnlock()
		return h
	}
}

type Pool struct {
	mu    sync.Mutex
	conns []int
	limit int
}

// Drain skips an item with continue while holding the lock: the next Lock deadlocks.
func (p *Pool) Drain(closeConn func(int) error) int {
	closed := 0
	for i := range p.conns {
		p.mu.Lock() // want "missing-unlock"
		if p.conns[i] < 0 {
			continue
		}
		if closeConn(p.conns[i]) == nil {
			closed++
		}
		p.mu.Unlock()
	}
	return closed
}

var (
	statsMu sync.Mutex
	stats   = map[string]int{}
)

// Record returns an error without unlocking the package-level mutex.
func Record(name string, n int) error {
	statsMu.Lock() // want "missing-unlock"
	if n < 0 {
		return errors.New("negative count")
	}
	if name == "" {
		statsMu.Unlock()
		return errors.New("empty name")
	}
	stats[name] += n
	statsMu.Unlock()
	return nil
}

// Grow unlocks on the normal path and on one error path but not the other.
func (p *Pool) Grow(n int, dial func() (int, error)) error {
	p.mu.Lock() // want "missing-unlock"
	if len(p.conns)+n > p.limit {
		p.mu.Unlock()
		return errors.New("over limit")
	}
	for i := 0; i < n; i++ {
		c, err := dial()
		if err != nil {
			return err
		}
		p.conns = append(p.conns, c)
	}
	p.mu.Unlock()
	return nil
}
