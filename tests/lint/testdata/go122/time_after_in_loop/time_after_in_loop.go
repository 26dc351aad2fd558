package time_after_in_loop

import (
	"context"
	"errors"
	"time"
)

var errIdle = errors.New("idle")

type Msg struct{ Body string }

// consume creates a timer per message.
func consume(msgs <-chan Msg, handle func(Msg)) error {
	for {
		select {
		case m := <-msgs:
			handle(m)
		case <-time.After(time.Minute): // want "time-after-in-loop"
			return errIdle
		}
	}
}

// forward has a ctx case too; still one timer per item.
func forward(ctx context.Context, in <-chan int, out chan<- int) error {
	for v := range in {
		select {
		case out <- v:
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Second): // want "time-after-in-loop"
			return errors.New("slow consumer")
		}
	}
	return nil
}

// waitAll waits for each result with a fresh timeout.
func waitAll(results []chan error, each time.Duration) error {
	for _, r := range results {
		select {
		case err := <-r:
			if err != nil {
				return err
			}
		case <-time.After(each): // want "time-after-in-loop"
			return errors.New("timeout")
		}
	}
	return nil
}

// drain stops after a quiet period, with a labelled loop.
func drain(events <-chan string, quiet time.Duration) []string {
	var got []string
loop:
	for {
		select {
		case e := <-events:
			got = append(got, e)
		case <-time.After(quiet): // want "time-after-in-loop"
			break loop
		}
	}
	return got
}

// One timer, reset on every message: fine.
func consumeWithTimer(msgs <-chan Msg, handle func(Msg)) error {
	idle := time.NewTimer(time.Minute)
	defer idle.Stop()
	for {
		select {
		case m := <-msgs:
			handle(m)
			idle.Reset(time.Minute)
		case <-idle.C:
			return errIdle
		}
	}
}

// A single select, not in a loop: one timer per call.
func request(reply <-chan string) (string, error) {
	select {
	case r := <-reply:
		return r, nil
	case <-time.After(3 * time.Second):
		return "", errors.New("timeout")
	}
}

// time.After as a plain sleep in a loop fires every time: nothing piles up.
func pollEvery(check func() bool) {
	for !check() {
		<-time.After(50 * time.Millisecond)
	}
}

// A timeout computed once before the loop.
func collect(in <-chan int, total time.Duration) []int {
	var out []int
	timeout := time.After(total)
	for {
		select {
		case v := <-in:
			out = append(out, v)
		case <-timeout:
			return out
		}
	}
}

// A periodic job that waits for the interval or for stop (hashicorp/memberlist, serf):
// the only other case leaves the loop, so at most one timer is ever pending.
func periodic(interval time.Duration, stop <-chan struct{}, job func()) {
	for {
		select {
		case <-time.After(interval):
			job()
		case <-stop:
			return
		}
	}
}

// A retry back-off that also wakes on cancellation without leaving (raft's heartbeat):
// the cancellation case wins once; the loop's own check then stops it.
func retry(stopCh <-chan struct{}, wait time.Duration, try func() error) {
	for {
		select {
		case <-stopCh:
			return
		default:
		}
		if try() == nil {
			return
		}
		select {
		case <-time.After(wait):
		case <-stopCh:
		}
	}
}

// A sync loop woken early by requests: each request leaves a pending timer (mgo's syncServers).
func syncLoop(requests <-chan bool, every time.Duration, sync func()) {
	for {
		sync()
		select {
		case <-requests:
		case <-time.After(every): // want "time-after-in-loop"
		}
	}
}

// A progress watchdog: `finished` is a stream of completions, not a stop signal, so every
// completion leaves a minute-long timer behind (etcd's functional runner).
func watchdog(finished <-chan struct{}, total int, report func(int)) {
	for i := 1; i <= total; i++ {
		select {
		case <-finished:
			report(i)
		case <-time.After(time.Minute): // want "time-after-in-loop"
			panic("no progress after 1 minute")
		}
	}
}

// One wait per worker on a shared completion channel: each completion leaves a timer pending.
func waitWorkers(done <-chan struct{}, workers int) error {
	for i := 0; i < workers; i++ {
		select {
		case <-done:
		case <-time.After(10 * time.Second): // want "time-after-in-loop"
			return errors.New("worker timed out")
		}
	}
	return nil
}
