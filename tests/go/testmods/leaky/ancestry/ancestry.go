// Package ancestry runs jobs under their own pprof labels, as servers do per request.
package ancestry

import (
	"context"
	"runtime/pprof"
)

// Run runs a job with pprof labels set from a fresh context (so the caller's labels are
// gone) and starts a notifier that waits for a result nobody sends.
func Run(job string) {
	pprof.Do(context.Background(), pprof.Labels("job", job), func(ctx context.Context) {
		results := make(chan string)
		go func() {
			<-results
		}()
	})
}
