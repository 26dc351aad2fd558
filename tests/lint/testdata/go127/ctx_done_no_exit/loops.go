package ctx_done_no_exit

import (
	"context"
	"log"
	"os"
	"time"
)

type Job struct{ ID int }

type Worker struct {
	jobs  chan Job
	quit  chan struct{}
	stopc chan struct{}
	done  int
}

func (w *Worker) do(j Job) { w.done++ }

// The classic SA4011 bug: break leaves the select, not the loop.
func (w *Worker) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done(): // want "ctx-done-no-exit"
			break
		case j := <-w.jobs:
			w.do(j)
		}
	}
}

// Fixed: return.
func (w *Worker) RunFixed(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-w.jobs:
			w.do(j)
		}
	}
}

// A quit channel whose case only logs.
func (w *Worker) Loop() {
	for {
		select {
		case <-w.quit: // want "ctx-done-no-exit"
			log.Println("worker: quit requested")
		case j := <-w.jobs:
			w.do(j)
		}
	}
}

// A labelled break leaves the loop.
func (w *Worker) LoopLabelled() {
loop:
	for {
		select {
		case <-w.quit:
			break loop
		case j := <-w.jobs:
			w.do(j)
		}
	}
	log.Println("worker stopped")
}

// continue goes straight back to waiting.
func (w *Worker) Poll(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done(): // want "ctx-done-no-exit"
			continue
		case <-t.C:
			w.do(Job{})
		}
	}
}

// The loop condition checks the context.
func (w *Worker) PollCond(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-t.C:
			w.do(Job{})
		}
	}
}

// A flag set in the case ends a condition loop.
func (w *Worker) RunFlag() {
	running := true
	for running {
		select {
		case <-w.stopc:
			running = false
		case j := <-w.jobs:
			w.do(j)
		}
	}
}

// An empty stop case in an endless loop.
func (w *Worker) Serve(stopCh <-chan struct{}) {
	go func() {
		for {
			select {
			case <-stopCh: // want "ctx-done-no-exit"
			case j := <-w.jobs:
				w.do(j)
			}
		}
	}()
}

// goto leaves the loop; a fatal log never returns.
func (w *Worker) RunGoto(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			goto out
		case <-w.quit:
			log.Fatal("quit")
		case j := <-w.jobs:
			w.do(j)
		}
	}
out:
	log.Println("done")
}

// A drain loop: cancellation is recorded and the loop ends when the workers are gone.
func Drain(ctx context.Context, results <-chan error, active int) error {
	var first error
	doneC := ctx.Done()
	for {
		select {
		case <-doneC:
			doneC = nil
			first = ctx.Err()
		case err := <-results:
			active--
			if first == nil {
				first = err
			}
			if active == 0 {
				return first
			}
		}
	}
}

// Range loops end on their own: not this rule's concern.
func Send(ctx context.Context, out chan<- Job, jobs []Job) {
	for _, j := range jobs {
		select {
		case <-ctx.Done():
		case out <- j:
		}
	}
}

func die(msg string) {
	log.Print(msg)
	os.Exit(1)
}

// A same-package helper that never returns ends the loop too.
func (w *Worker) RunUntilQuit() {
	for {
		select {
		case <-w.quit:
			die("worker: quit")
		case j := <-w.jobs:
			w.do(j)
		}
	}
}

// A back-off that gives up waiting on stop: the loop's main select returns on it next
// (hashicorp/raft's heartbeat).
func (w *Worker) Heartbeat(stopCh <-chan struct{}, notify <-chan struct{}, beat func() error) {
	for {
		select {
		case <-notify:
		case <-time.After(time.Second):
		case <-stopCh:
			return
		}
		if err := beat(); err != nil {
			select {
			case <-time.After(time.Second):
			case <-stopCh:
			}
		}
	}
}

// A send that gives up on done while the main select stops on stop (etcd's raft node).
func (w *Worker) Node(stop <-chan struct{}, done chan struct{}, confc <-chan Job, statec chan<- Job) {
	for {
		select {
		case j := <-confc:
			select {
			case statec <- j:
			case <-done:
			}
		case <-stop:
			close(done)
			return
		}
	}
}

// The only select that watches quit is this one: an inner select that stops elsewhere does
// not make its empty case leave.
func (w *Worker) Relay(quit <-chan struct{}, out chan<- Job) {
	for {
		select {
		case <-quit: // want "ctx-done-no-exit"
		case j := <-w.jobs:
			select {
			case out <- j:
			case <-quit:
				return
			}
		}
	}
}
