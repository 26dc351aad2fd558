// Command recall runs small programs reduced from real blocking bugs in large Go projects, each
// the shape of a bug class from the literature (Tu et al., ASPLOS'19, "Understanding Real-World
// Concurrency Bugs in Go", and the GoBench suite built from it), and prints how many goroutines
// each left blocked. Every scenario marks the line its goroutine blocks on with `// BLOCKS`: the
// recall test and benchmarks/scan_recall.py check that `goleash scan` points at those lines.
//
// Each scenario runs in its own goroutine (some deadlock their caller) and uses its own types,
// so a rule cannot connect one scenario to another.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"time"
)

// pause orders the steps of a scenario; generous, so a loaded machine still sees the deadlock.
const pause = 20 * time.Millisecond

// --- 1. channel send inside a critical section whose receiver needs the lock ------------------
// moby#28462 (container monitor): the health monitor sends a status while holding the
// container's lock; the goroutine that receives first takes that same lock. Tu et al. count 13
// blocking bugs of "channel operation inside a critical section".

type monitor struct {
	mu     sync.Mutex
	status chan string
	state  string
}

func (m *monitor) report(s string) {
	m.mu.Lock()
	m.state = s
	m.status <- s // BLOCKS
	m.mu.Unlock()
}

func (m *monitor) consume() {
	for {
		m.mu.Lock()
		_ = m.state
		m.mu.Unlock()
		<-m.status
	}
}

func lockedSend() {
	m := &monitor{status: make(chan string)}
	go m.report("unhealthy")
	time.Sleep(pause)
	go m.consume()
}

// --- 2. WaitGroup.Wait while holding a mutex the workers need ----------------------------------
// kubernetes#10182-like (and etcd's "stop waits for workers under the lock"): Stop locks the pool
// and waits for the workers; each worker locks the pool once more before it calls Done.

type workerPool struct {
	mu   sync.Mutex
	wg   sync.WaitGroup
	jobs int
}

func (p *workerPool) work() {
	defer p.wg.Done()
	time.Sleep(pause)
	p.mu.Lock()
	p.jobs++
	p.mu.Unlock()
}

func (p *workerPool) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.wg.Wait() // BLOCKS
}

func waitUnderLock() {
	p := &workerPool{}
	p.wg.Add(1)
	go p.work()
	p.Stop()
}

// --- 3. double lock through a method on the same receiver -------------------------------------
// cockroachdb#9935 / moby#17176 (16 "double lock" bugs in Tu et al.): a locked method calls a
// helper that locks the same mutex again.

type store struct {
	mu    sync.Mutex
	items map[string]int
}

func (s *store) size() int {
	s.mu.Lock() // BLOCKS
	defer s.mu.Unlock()
	return len(s.items)
}

func (s *store) Put(k string, v int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items[k] = v
	return s.size()
}

func doubleLock() {
	s := &store{items: map[string]int{}}
	s.Put("a", 1)
}

// --- 4. recursive RLock with a writer waiting in between -------------------------------------
// moby#27782 / kubernetes#58107 (RWMutex "R-W-R" deadlock): a reader takes the read lock again
// through a helper; a writer queued in between blocks the second RLock, and the writer waits
// for the first.

type registry struct {
	mu      sync.RWMutex
	names   []string
	reading chan struct{} // closed once a reader holds the lock (the scenario's timing)
}

// load stands for slow work done under the read lock (reading a file, a remote call).
func (r *registry) load() {
	close(r.reading)
	time.Sleep(pause)
}

func (r *registry) count() int {
	r.mu.RLock() // BLOCKS
	defer r.mu.RUnlock()
	return len(r.names)
}

func (r *registry) List() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	r.load()
	return r.count()
}

func (r *registry) Add(name string) {
	r.mu.Lock()
	r.names = append(r.names, name)
	r.mu.Unlock()
}

func recursiveRLock() {
	r := &registry{reading: make(chan struct{})}
	go r.List()
	<-r.reading
	r.Add("x")
}

// --- 5. AB-BA lock order between two methods of one type -------------------------------------
// cockroachdb#10214 / etcd (8 "conflicting lock order" bugs in Tu et al.).

type ledger struct {
	accounts sync.Mutex
	journal  sync.Mutex
	balance  int
	entries  int
}

func (l *ledger) Transfer() {
	l.accounts.Lock()
	defer l.accounts.Unlock()
	l.balance--
	time.Sleep(pause)
	l.journal.Lock() // BLOCKS
	l.entries++
	l.journal.Unlock()
}

func (l *ledger) Audit() {
	l.journal.Lock()
	defer l.journal.Unlock()
	time.Sleep(pause)
	l.accounts.Lock()
	_ = l.balance
	l.accounts.Unlock()
}

func lockOrder() {
	l := &ledger{}
	go l.Transfer()
	l.Audit()
}

// --- 6. a channel in a struct field sent to after the receiving loop stopped ------------------
// grpc#1424 / kubernetes#5316 (watchers): the run loop leaves on its stop channel; a later
// notify sends on the events field with nobody left to receive.

type watcher struct {
	events chan int
	stop   chan struct{}
}

func (w *watcher) run() {
	for {
		select {
		case <-w.stop:
			return
		case e := <-w.events:
			_ = e
		}
	}
}

func (w *watcher) notify(e int) {
	w.events <- e // BLOCKS
}

func fieldSendAfterStop() {
	w := &watcher{events: make(chan int), stop: make(chan struct{})}
	go w.run()
	w.notify(1)
	close(w.stop)
	time.Sleep(pause)
	w.notify(2)
}

// --- 7. a send in the default case of a select that watches a stop channel ------------------
// etcd#7443-like: the stop case is only checked before the send; once in `default:` the send
// blocks for good when the consumer has stopped.

func forward(stop <-chan struct{}, in []int, out chan<- int) {
	for _, v := range in {
		select {
		case <-stop:
			return
		default:
			out <- v // BLOCKS
		}
	}
}

func defaultSend() {
	stop := make(chan struct{})
	out := make(chan int)
	go forward(stop, []int{1, 2}, out)
	<-out
	time.Sleep(pause) // the forwarder is past its stop check, in `default:`, before stop closes
	close(stop)
}

// --- 8. cond.Wait not inside a loop that re-checks its predicate ------------------------------
// kubernetes (Tu et al. "Wait" class: Cond): the signal came before the wait, and the waiter
// never checks the condition it waits for, so it sleeps forever.

type gate struct {
	mu   sync.Mutex
	cond *sync.Cond
	open bool
}

func (g *gate) Open() {
	g.mu.Lock()
	g.open = true
	g.mu.Unlock()
	g.cond.Broadcast()
}

func (g *gate) Pass() {
	g.mu.Lock()
	g.cond.Wait() // BLOCKS
	g.mu.Unlock()
}

func condNoLoop() {
	g := &gate{}
	g.cond = sync.NewCond(&g.mu)
	g.Open()
	g.Pass()
}

// --- 9. wg.Wait inside the loop that starts the goroutines it waits for -----------------------
// moby#25384 (plugin activation): Add(len(plugins)) before the loop, Wait inside it: the first
// iteration waits for every plugin while only one has been started.

func activate(plugins []string) {
	var wg sync.WaitGroup
	wg.Add(len(plugins))
	for _, p := range plugins {
		go func() {
			defer wg.Done()
			_ = p
		}()
		wg.Wait() // BLOCKS
	}
}

func waitInLoop() {
	activate([]string{"a", "b", "c"})
}

// --- 10. a parent waiting on a done channel the child closes on some paths only ---------------
// moby#33781 / etcd: the child returns early on an error without closing done.

var errStart = errors.New("cannot start")

func start(fail bool) error {
	if fail {
		return errStart
	}
	return nil
}

func launch(fail bool) {
	done := make(chan struct{})
	go func() {
		if err := start(fail); err != nil {
			return
		}
		close(done)
	}()
	<-done // BLOCKS
}

func closedOnSomePaths() {
	launch(true)
}

// --- 11. the simplest leak: a goroutine sends and nobody ever receives ------------------------
// kubernetes#5316 / grpc#862 reduced (Tu et al.'s largest class, "starving channel").

func compute() int { return 42 }

func fireAndForget() {
	ch := make(chan int)
	go func() {
		ch <- compute() // BLOCKS
	}()
}

// --- 12. a select on channels nothing sends to ------------------------------------------------
// cockroachdb#13197-like: the goroutine waits for a result or an error; neither channel is ever
// written or closed after a refactoring moved the sends away.

func waitForNothing() {
	results := make(chan int)
	errs := make(chan error)
	go func() {
		select { // BLOCKS
		case r := <-results:
			_ = r
		case err := <-errs:
			_ = err
		}
	}()
}

// --- 13. a ticker loop found through the value, not a name ------------------------------------
// grpc binarylog's flusher (closing note of issue 3), renamed: `for range beat.C` never ends.

func heartbeat(send func()) {
	beat := time.NewTicker(time.Millisecond)
	go func() {
		for range beat.C { // BLOCKS
			send()
		}
	}()
}

func tickerLoop() {
	heartbeat(func() {})
}

// --- the fixes: the same shapes written correctly; none may leak, none may be reported --------
// (every type and function here ends in "Fixed")

type monitorFixed struct {
	mu     sync.Mutex
	status chan string
	state  string
}

func (m *monitorFixed) report(s string) {
	m.mu.Lock()
	m.state = s
	m.mu.Unlock()
	m.status <- s
}

func (m *monitorFixed) consumeOne() {
	m.mu.Lock()
	_ = m.state
	m.mu.Unlock()
	<-m.status
}

func lockedSendFixed() {
	m := &monitorFixed{status: make(chan string)}
	go m.report("unhealthy")
	time.Sleep(pause)
	go m.consumeOne()
}

type workerPoolFixed struct {
	mu   sync.Mutex
	wg   sync.WaitGroup
	jobs int
}

func (p *workerPoolFixed) work() {
	defer p.wg.Done()
	time.Sleep(pause)
	p.mu.Lock()
	p.jobs++
	p.mu.Unlock()
}

func (p *workerPoolFixed) Stop() int {
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.jobs
}

func waitUnderLockFixed() {
	p := &workerPoolFixed{}
	p.wg.Add(1)
	go p.work()
	p.Stop()
}

type storeFixed struct {
	mu    sync.Mutex
	items map[string]int
}

func (s *storeFixed) sizeLocked() int { return len(s.items) }

func (s *storeFixed) Put(k string, v int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items[k] = v
	return s.sizeLocked()
}

func doubleLockFixed() {
	s := &storeFixed{items: map[string]int{}}
	s.Put("a", 1)
}

type registryFixed struct {
	mu      sync.RWMutex
	names   []string
	reading chan struct{}
}

func (r *registryFixed) load() {
	close(r.reading)
	time.Sleep(pause)
}

func (r *registryFixed) countLocked() int { return len(r.names) }

func (r *registryFixed) List() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	r.load()
	return r.countLocked()
}

func (r *registryFixed) Add(name string) {
	r.mu.Lock()
	r.names = append(r.names, name)
	r.mu.Unlock()
}

func recursiveRLockFixed() {
	r := &registryFixed{reading: make(chan struct{})}
	go r.List()
	<-r.reading
	r.Add("x")
}

type ledgerFixed struct {
	accounts sync.Mutex
	journal  sync.Mutex
	balance  int
	entries  int
}

func (l *ledgerFixed) Transfer() {
	l.accounts.Lock()
	defer l.accounts.Unlock()
	l.balance--
	time.Sleep(pause)
	l.journal.Lock()
	l.entries++
	l.journal.Unlock()
}

func (l *ledgerFixed) Audit() {
	l.accounts.Lock()
	defer l.accounts.Unlock()
	time.Sleep(pause)
	l.journal.Lock()
	_ = l.entries
	l.journal.Unlock()
}

func lockOrderFixed() {
	l := &ledgerFixed{}
	go l.Transfer()
	l.Audit()
}

type watcherFixed struct {
	events chan int
	stop   chan struct{}
}

func (w *watcherFixed) run() {
	for {
		select {
		case <-w.stop:
			return
		case e := <-w.events:
			_ = e
		}
	}
}

func (w *watcherFixed) notify(e int) {
	select {
	case w.events <- e:
	case <-w.stop:
	}
}

func fieldSendAfterStopFixed() {
	w := &watcherFixed{events: make(chan int), stop: make(chan struct{})}
	go w.run()
	w.notify(1)
	close(w.stop)
	time.Sleep(pause)
	w.notify(2)
}

func forwardFixed(stop <-chan struct{}, in []int, out chan<- int) {
	for _, v := range in {
		select {
		case <-stop:
			return
		case out <- v:
		}
	}
}

func defaultSendFixed() {
	stop := make(chan struct{})
	out := make(chan int)
	go forwardFixed(stop, []int{1, 2}, out)
	<-out
	time.Sleep(pause) // the forwarder is past its stop check, in `default:`, before stop closes
	close(stop)
}

type gateFixed struct {
	mu   sync.Mutex
	cond *sync.Cond
	open bool
}

func (g *gateFixed) Open() {
	g.mu.Lock()
	g.open = true
	g.mu.Unlock()
	g.cond.Broadcast()
}

func (g *gateFixed) Pass() {
	g.mu.Lock()
	for !g.open {
		g.cond.Wait()
	}
	g.mu.Unlock()
}

func condNoLoopFixed() {
	g := &gateFixed{}
	g.cond = sync.NewCond(&g.mu)
	g.Open()
	g.Pass()
}

func activateFixed(plugins []string) {
	var wg sync.WaitGroup
	wg.Add(len(plugins))
	for _, p := range plugins {
		go func() {
			defer wg.Done()
			_ = p
		}()
	}
	wg.Wait()
}

func waitInLoopFixed() {
	activateFixed([]string{"a", "b", "c"})
}

func launchFixed(fail bool) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := start(fail); err != nil {
			return
		}
	}()
	<-done
}

func closedOnSomePathsFixed() {
	launchFixed(true)
}

func fireAndForgetFixed() {
	ch := make(chan int, 1)
	go func() {
		ch <- compute()
	}()
}

func waitForNothingFixed() {
	results := make(chan int)
	errs := make(chan error)
	go func() {
		select {
		case r := <-results:
			_ = r
		case err := <-errs:
			_ = err
		}
	}()
	results <- compute()
}

func heartbeatFixed(send func(), stop <-chan struct{}) {
	beat := time.NewTicker(time.Millisecond)
	go func() {
		defer beat.Stop()
		for {
			select {
			case <-stop:
				return
			case <-beat.C:
				send()
			}
		}
	}()
}

func tickerLoopFixed() {
	stop := make(chan struct{})
	heartbeatFixed(func() {}, stop)
	time.Sleep(pause)
	close(stop)
}

var scenarios = map[string]func(){
	"lockedSend":              lockedSend,
	"lockedSendFixed":         lockedSendFixed,
	"waitUnderLock":           waitUnderLock,
	"waitUnderLockFixed":      waitUnderLockFixed,
	"doubleLock":              doubleLock,
	"doubleLockFixed":         doubleLockFixed,
	"recursiveRLock":          recursiveRLock,
	"recursiveRLockFixed":     recursiveRLockFixed,
	"lockOrder":               lockOrder,
	"lockOrderFixed":          lockOrderFixed,
	"fieldSendAfterStop":      fieldSendAfterStop,
	"fieldSendAfterStopFixed": fieldSendAfterStopFixed,
	"defaultSend":             defaultSend,
	"defaultSendFixed":        defaultSendFixed,
	"condNoLoop":              condNoLoop,
	"condNoLoopFixed":         condNoLoopFixed,
	"waitInLoop":              waitInLoop,
	"waitInLoopFixed":         waitInLoopFixed,
	"closedOnSomePaths":       closedOnSomePaths,
	"closedOnSomePathsFixed":  closedOnSomePathsFixed,
	"fireAndForget":           fireAndForget,
	"fireAndForgetFixed":      fireAndForgetFixed,
	"waitForNothing":          waitForNothing,
	"waitForNothingFixed":     waitForNothingFixed,
	"tickerLoop":              tickerLoop,
	"tickerLoopFixed":         tickerLoopFixed,
}

// settle waits until the goroutine count stops changing.
func settle() int {
	last := runtime.NumGoroutine()
	for range 50 {
		time.Sleep(10 * time.Millisecond)
		now := runtime.NumGoroutine()
		if now == last {
			return now
		}
		last = now
	}
	return last
}

func main() {
	names := make([]string, 0, len(scenarios))
	for name := range scenarios {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		before := settle()
		go scenarios[name]()
		time.Sleep(8 * pause)
		fmt.Fprintf(os.Stdout, "%s %d\n", name, settle()-before)
	}
}
