package waitgroup_missing_done

import (
	"context"
	"errors"
	"log"
	"sync"
)

type Job struct{ ID int }

func run(ctx context.Context, j Job) error {
	if j.ID < 0 {
		return errors.New("bad job")
	}
	return ctx.Err()
}

// runAll returns early on a failed job without Done.
func runAll(ctx context.Context, jobs []Job) {
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() { // want "waitgroup-missing-done"
			if err := run(ctx, j); err != nil {
				log.Print(err)
				return
			}
			wg.Done()
		}()
	}
	wg.Wait()
}

// worker forgets Done on the cancelled path.
func worker(ctx context.Context, wg *sync.WaitGroup, jobs <-chan Job) {
	for j := range jobs {
		if ctx.Err() != nil {
			return
		}
		_ = run(ctx, j)
	}
	wg.Done()
}

func startWorkers(ctx context.Context, n int, jobs <-chan Job) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go worker(ctx, &wg, jobs) // want "waitgroup-missing-done"
	}
	wg.Wait()
}

// drain never calls Done at all.
func drain(in <-chan Job, wg *sync.WaitGroup, sink func(Job)) {
	for j := range in {
		sink(j)
	}
	log.Print("drained")
}

func drainAll(ins []chan Job, sink func(Job)) {
	var wg sync.WaitGroup
	wg.Add(len(ins))
	for _, in := range ins {
		go drain(in, &wg, sink) // want "waitgroup-missing-done"
	}
	wg.Wait()
}

type Indexer struct {
	wg   sync.WaitGroup
	docs chan string
}

// Build skips Done when a document is empty.
func (ix *Indexer) Build(n int, index func(string) bool) {
	for i := 0; i < n; i++ {
		ix.wg.Add(1)
		go func() { // want "waitgroup-missing-done"
			for d := range ix.docs {
				if !index(d) {
					return
				}
			}
			ix.wg.Done()
		}()
	}
	ix.wg.Wait()
}

// The classic worker that receives the WaitGroup and defers Done: fine.
func goodWorker(wg *sync.WaitGroup, jobs <-chan Job, handle func(Job)) {
	defer wg.Done()
	for j := range jobs {
		handle(j)
	}
}

func startGoodWorkers(n int, jobs <-chan Job, handle func(Job)) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go goodWorker(&wg, jobs, handle)
	}
	wg.Wait()
}

// Done on every path without defer.
func runAllCareful(ctx context.Context, jobs []Job) {
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			if err := run(ctx, j); err != nil {
				log.Print(err)
				wg.Done()
				return
			}
			wg.Done()
		}()
	}
	wg.Wait()
}

// Go 1.25 wg.Go needs no Done.
func runAllGo(ctx context.Context, jobs []Job) {
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() {
			if err := run(ctx, j); err != nil {
				log.Print(err)
			}
		})
	}
	wg.Wait()
}

// A closer goroutine waits on the group; it is not counted by it.
func merge(ins []<-chan Job) <-chan Job {
	out := make(chan Job)
	var wg sync.WaitGroup
	wg.Add(len(ins))
	for _, in := range ins {
		go func() {
			defer wg.Done()
			for j := range in {
				out <- j
			}
		}()
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}
