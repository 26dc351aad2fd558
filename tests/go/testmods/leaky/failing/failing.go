// Package failing parses numbers in the background.
package failing

import "strconv"

// Parse parses s in a goroutine and waits at most for the first result.
func Parse(s string) (int, error) {
	type result struct {
		n   int
		err error
	}
	results := make(chan result)
	go func() {
		n, err := strconv.Atoi(s)
		results <- result{n, err}
	}()
	r := <-results
	return r.n, r.err
}

// ParseBoth parses two strings and returns as soon as either fails, leaving the other sender
// blocked.
func ParseBoth(a, b string) error {
	errs := make(chan error)
	for _, s := range []string{a, b} {
		go func(s string) {
			_, err := strconv.Atoi(s)
			errs <- err
		}(s)
	}
	for i := 0; i < 2; i++ {
		if err := <-errs; err != nil {
			return err
		}
	}
	return nil
}
