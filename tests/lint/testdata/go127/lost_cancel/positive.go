package lost_cancel

import (
	"context"
	"errors"
	"net/http"
	"time"
)

var errBadStatus = errors.New("bad status")

// fetchStatus returns early on a request error before the cancel is deferred.
func fetchStatus(parent context.Context, client *http.Client, url string) (int, error) {
	ctx, cancel := context.WithTimeout(parent, 5*time.Second) // want "lost-cancel"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	defer cancel()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}

// warmCache throws the cancel away: the timer lives until the parent ends.
func warmCache(parent context.Context, load func(context.Context) error) error {
	ctx, _ := context.WithTimeout(parent, time.Minute) // want "lost-cancel"
	return load(ctx)
}

// pollOnce cancels on the happy path only.
func pollOnce(parent context.Context, check func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithCancelCause(parent) // want "lost-cancel"
	ready, err := check(ctx)
	if err != nil {
		return err
	}
	if !ready {
		cancel(errBadStatus)
		return errBadStatus
	}
	cancel(nil)
	return nil
}

// retryAll creates one context per attempt but skips the cancel when it moves on.
func retryAll(parent context.Context, urls []string, try func(context.Context, string) error) {
	for _, u := range urls {
		ctx, cancel := context.WithDeadline(parent, time.Now().Add(time.Second)) // want "lost-cancel"
		if err := try(ctx, u); err != nil {
			continue
		}
		cancel()
	}
}

// startJob stops the context only when the job fails; success leaks it.
func startJob(parent context.Context, run func(context.Context) error) error {
	ctx, stop := context.WithCancel(parent) // want "lost-cancel"
	if err := run(ctx); err != nil {
		stop()
		return err
	}
	return nil
}
