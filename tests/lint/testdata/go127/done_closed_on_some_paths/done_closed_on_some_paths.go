package done_closed_on_some_paths

import "errors"

var errBusy = errors.New("busy")

func prepare(fail bool) error {
	if fail {
		return errBusy
	}
	return nil
}

// Positive: the goroutine returns early without closing ready.
func startServer(fail bool) {
	ready := make(chan struct{})
	go func() {
		if err := prepare(fail); err != nil {
			return
		}
		close(ready)
	}()
	<-ready // want "done-closed-on-some-paths"
}

// Negative: closed with defer on every path.
func startServerFixed(fail bool) {
	ready := make(chan struct{})
	go func() {
		defer close(ready)
		if err := prepare(fail); err != nil {
			return
		}
	}()
	<-ready
}

// Negative: every path sends the outcome.
func startWithResult(fail bool) error {
	result := make(chan error)
	go func() {
		if err := prepare(fail); err != nil {
			result <- err
			return
		}
		result <- nil
	}()
	return <-result
}

// Negative: a producer streaming values; the parent reads the first (another rule's case).
func first(read func() (int, error)) int {
	values := make(chan int, 1)
	go func() {
		for {
			v, err := read()
			if err != nil {
				return
			}
			values <- v
		}
	}()
	return <-values
}
