package ticker_loop_no_exit

import (
	"log"
	"sync"
	"time"
)

type Cache struct {
	mu    sync.Mutex
	items map[string]time.Time
	done  chan struct{}
}

func (c *Cache) evictExpired() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, exp := range c.items {
		if time.Now().After(exp) {
			delete(c.items, k)
		}
	}
}

// startJanitor's goroutine outlives the cache.
func (c *Cache) startJanitor() {
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for range t.C { // want "ticker-loop-no-exit"
			c.evictExpired()
		}
	}()
}

type Metrics struct {
	mu       sync.Mutex
	counts   map[string]int
	ticker   *time.Ticker
	snapshot func(map[string]int)
}

// publish ranges over a stored ticker; Stop does not close the channel.
func (m *Metrics) publish() {
	for range m.ticker.C { // want "ticker-loop-no-exit"
		m.mu.Lock()
		m.snapshot(m.counts)
		m.mu.Unlock()
	}
}

func (m *Metrics) Start() {
	go m.publish()
}

// logStats ranges over time.Tick in a goroutine per connection.
func logStats(name string, read func() int) {
	go func() {
		for range time.Tick(10 * time.Second) { // want "ticker-loop-no-exit"
			log.Printf("%s: %d", name, read())
		}
	}()
}

// watchConfig logs errors forever.
func watchConfig(reload func() error) {
	refreshTicker := time.NewTicker(30 * time.Second) // want "ticker-not-stopped"
	go func() {
		for tick := range refreshTicker.C { // want "ticker-loop-no-exit"
			if err := reload(); err != nil {
				log.Printf("reload at %v: %v", tick, err)
			}
		}
	}()
}

// A stop case that returns: fine.
func (c *Cache) startJanitorWithStop() {
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				c.evictExpired()
			case <-c.done:
				return
			}
		}
	}()
}

// Leaves the range loop once the job is finished.
func waitDone(finished func() bool) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for range t.C {
		if finished() {
			return
		}
	}
}

// Breaks out after a fixed number of ticks.
func blink(n int, toggle func()) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	i := 0
	for range t.C {
		toggle()
		i++
		if i == n {
			break
		}
	}
}

// Started from main: lives as long as the program by design.
func main() {
	t := time.NewTicker(time.Hour)
	go func() {
		for range t.C {
			log.Print("still alive")
		}
	}()
	select {}
}
