package waitgroup_wait_in_loop

import "sync"

// Positive: Add counts every plugin before the loop; the first Wait waits for all of them.
func activate(plugins []string, start func(string)) {
	var wg sync.WaitGroup
	wg.Add(len(plugins))
	for _, p := range plugins {
		go func() {
			defer wg.Done()
			start(p)
		}()
		wg.Wait() // want "waitgroup-wait-in-loop"
	}
}

// Negative: Wait after the loop.
func activateAll(plugins []string, start func(string)) {
	var wg sync.WaitGroup
	wg.Add(len(plugins))
	for _, p := range plugins {
		go func() {
			defer wg.Done()
			start(p)
		}()
	}
	wg.Wait()
}

// Negative: one at a time (Add in the loop): slow, not stuck.
func activateInTurn(plugins []string, start func(string)) {
	var wg sync.WaitGroup
	for _, p := range plugins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start(p)
		}()
		wg.Wait()
	}
}
