package ctx_done_no_exit

import (
	"context"
	"time"
)

// Negative cases.

// The select's break lands on an unconditional break out of the loop.
func firstOrCancel(ctx context.Context, in <-chan int) int {
	v := 0
	for {
		select {
		case <-ctx.Done():
			break
		case x, ok := <-in:
			if !ok {
				return v
			}
			if x == 0 {
				continue
			}
			v = x
		}
		break
	}
	return v
}

// done is made in the loop: each job's own result, not a cancellation of the loop.
func runJobs(ctx context.Context, jobs []func()) {
	for {
		if len(jobs) == 0 {
			return
		}
		done := make(chan struct{})
		job := jobs[0]
		jobs = jobs[1:]
		go func() {
			job()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(time.Second):
		}
		if ctx.Err() != nil {
			return
		}
	}
}
