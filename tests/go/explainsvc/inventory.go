package main

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
)

// The inventory cache is refreshed in the background. A refresh that fails returns with the
// lock held, so every later reader blocks on Lock forever.

type inventory struct {
	mu       sync.Mutex
	units    map[string]int
	failNext bool
}

func newInventory() *inventory { return &inventory{units: map[string]int{}, failNext: true} }

var errSupplierDown = errors.New("supplier down")

func (inv *inventory) load() (map[string]int, error) {
	if inv.failNext {
		inv.failNext = false
		return nil, errSupplierDown
	}
	return map[string]int{"A-1": 12}, nil
}

func (inv *inventory) refresh() {
	inv.mu.Lock()
	units, err := inv.load()
	if err != nil {
		return // CAUSE: mutex
	}
	inv.units = units
	inv.mu.Unlock()
}

func (inv *inventory) get(sku string) int {
	inv.mu.Lock() // BLOCKS: mutex
	defer inv.mu.Unlock()
	return inv.units[sku]
}

func (s *server) handleRefresh(w http.ResponseWriter, r *http.Request) {
	go s.inv.refresh()
	w.WriteHeader(http.StatusAccepted)
}

func (s *server) handleInventory(w http.ResponseWriter, r *http.Request) {
	go func() {
		_ = s.inv.get("A-1") // CAUSE: mutex-waiter
	}()
	w.WriteHeader(http.StatusAccepted)
}

// The audit log writes entries to a shipper under its lock. The shipper was never started, so
// the first writer blocks sending while it holds the lock, and every other writer waits for it.

type auditLog struct {
	mu      sync.Mutex
	entries chan string
	written int
}

func newAuditLog() *auditLog { return &auditLog{entries: make(chan string)} }

func (a *auditLog) write(entry string) {
	a.mu.Lock() // BLOCKS: held-mutex
	defer a.mu.Unlock()
	a.entries <- entry // BLOCKS: holder
	a.written++
}

func (s *server) handleAudit(w http.ResponseWriter, r *http.Request) {
	go s.audit.write(fmt.Sprintf("audit %s", r.URL.Path))
	w.WriteHeader(http.StatusAccepted)
}
