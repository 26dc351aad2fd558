package abandoned_send

import (
	"context"
	"net/http"
	"time"
)

// Pre-1.22 code copies the loop variable; the leak is the same in every Go version.
func Fastest(client *http.Client, urls []string) (*http.Response, error) {
	type result struct {
		resp *http.Response
		err  error
	}
	results := make(chan result)
	for _, u := range urls {
		u := u
		go func() {
			resp, err := client.Get(u)
			results <- result{resp, err} // want "abandoned-send"
		}()
	}
	r := <-results
	return r.resp, r.err
}

// The fix: one slot per sender.
func FastestFixed(client *http.Client, urls []string) (*http.Response, error) {
	type result struct {
		resp *http.Response
		err  error
	}
	results := make(chan result, len(urls))
	for _, u := range urls {
		u := u
		go func() {
			resp, err := client.Get(u)
			results <- result{resp, err}
		}()
	}
	r := <-results
	return r.resp, r.err
}

// A deadline around a blocking call.
func WithDeadline(ctx context.Context, call func() error) error {
	errc := make(chan error)
	go func() {
		errc <- call() // want "abandoned-send"
	}()
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// The same deadline with the sender watching the context too.
func WithDeadlineFixed(ctx context.Context, call func() error) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	errc := make(chan error)
	go func() {
		err := call()
		select {
		case errc <- err:
		case <-ctx.Done():
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
