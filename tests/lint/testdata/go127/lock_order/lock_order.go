package lock_order

import "sync"

type Table struct {
	rows  sync.Mutex
	index sync.Mutex
	data  []int
	keys  map[int]int
}

// Positive: Insert takes rows then index, Reindex index then rows.
func (t *Table) Insert(v int) {
	t.rows.Lock()
	defer t.rows.Unlock()
	t.data = append(t.data, v)
	t.index.Lock() // want "lock-order"
	t.keys[v] = len(t.data) - 1
	t.index.Unlock()
}

func (t *Table) Reindex() {
	t.index.Lock()
	defer t.index.Unlock()
	t.rows.Lock() // want "lock-order"
	for i, v := range t.data {
		t.keys[v] = i
	}
	t.rows.Unlock()
}

// Negative: the same order everywhere, and a lock released before the next one.
type Pair struct {
	a, b sync.Mutex
	x, y int
}

func (p *Pair) Both() {
	p.a.Lock()
	p.b.Lock()
	p.x, p.y = p.y, p.x
	p.b.Unlock()
	p.a.Unlock()
}

func (p *Pair) Again() {
	p.a.Lock()
	defer p.a.Unlock()
	p.b.Lock()
	defer p.b.Unlock()
	p.x++
}

func (p *Pair) OneThenOther() {
	p.b.Lock()
	p.y++
	p.b.Unlock()
	p.a.Lock()
	p.x++
	p.a.Unlock()
}
