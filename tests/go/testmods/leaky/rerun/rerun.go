// Package rerun hands jobs to a dispatcher started when the package loads.
package rerun

import "time"

var jobs = make(chan func())

func init() {
	go func() {
		for job := range jobs {
			go job() // every job in its own goroutine
		}
	}()
}

// Submit hands a job to the dispatcher.
func Submit(job func()) { jobs <- job }

// Wait blocks until done is closed or the timeout passes.
func Wait(done <-chan struct{}, timeout time.Duration) bool {
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}
