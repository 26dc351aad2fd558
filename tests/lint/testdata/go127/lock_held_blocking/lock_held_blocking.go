package lock_held_blocking

import "sync"

// Positive: the sender holds the mutex the receiver takes before it receives.
type Hub struct {
	mu      sync.Mutex
	updates chan int
	last    int
}

func NewHub() *Hub { return &Hub{updates: make(chan int)} }

func (h *Hub) Publish(v int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last = v
	h.updates <- v // want "lock-held-blocking"
}

func (h *Hub) loop() {
	for v := range h.updates {
		h.mu.Lock()
		h.last = v
		h.mu.Unlock()
	}
}

// Positive: Wait under the lock that each worker takes before Done.
type Batch struct {
	mu    sync.Mutex
	wg    sync.WaitGroup
	total int
}

func (b *Batch) add(n int) {
	defer b.wg.Done()
	b.mu.Lock()
	b.total += n
	b.mu.Unlock()
}

func (b *Batch) Run(ns []int) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, n := range ns {
		b.wg.Add(1)
		go b.add(n)
	}
	b.wg.Wait() // want "lock-held-blocking"
	return b.total
}

// Negative: the lock is released before the send.
type Relay struct {
	mu   sync.Mutex
	out  chan int
	seen int
}

func NewRelay() *Relay { return &Relay{out: make(chan int)} }

func (r *Relay) Send(v int) {
	r.mu.Lock()
	r.seen++
	r.mu.Unlock()
	r.out <- v
}

func (r *Relay) drain() {
	for v := range r.out {
		r.mu.Lock()
		r.seen += v
		r.mu.Unlock()
	}
}

// Negative: a buffered queue (the send waits only when it is full) and an early-unlock branch.
type Queue struct {
	mu    sync.Mutex
	items chan int
	n     int
}

func NewQueue() *Queue { return &Queue{items: make(chan int, 64)} }

func (q *Queue) Put(v int) bool {
	q.mu.Lock()
	if q.n > 100 {
		q.mu.Unlock()
		return false
	}
	q.n++
	q.items <- v
	q.mu.Unlock()
	return true
}

func (q *Queue) consume() {
	for v := range q.items {
		q.mu.Lock()
		q.n -= v
		q.mu.Unlock()
	}
}

// Negative: the receiver never takes the mutex.
type Log struct {
	mu    sync.Mutex
	lines chan string
}

func NewLog() *Log { return &Log{lines: make(chan string)} }

func (l *Log) Write(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines <- s
}

func (l *Log) print() {
	for s := range l.lines {
		println(s)
	}
}

// Negative: a handshake before the partner locks (the partner's first receive comes first),
// and a lock handed to another goroutine that releases it.
func handshake(cond func()) {
	var m sync.Mutex
	ch := make(chan struct{})
	go func() {
		m.Lock()
		ch <- struct{}{}
		m.Unlock()
		cond()
		ch <- struct{}{}
	}()
	<-ch
	m.Lock()
	m.Unlock()
	<-ch
}

func handOff(n int) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	mu.Lock()
	go func() {
		mu.Unlock()
	}()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			mu.Unlock()
		}()
	}
	wg.Wait()
}
