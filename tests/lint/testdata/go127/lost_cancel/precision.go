package lost_cancel

import (
	"context"
	"time"
)

type watcher interface {
	Watch(context.Context)
	Unwatch()
}

// Negative: the cancel is called under two tests that together cover every iteration.
func churn(w watcher, cycles int) {
	for i := 0; i < cycles; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		w.Watch(ctx)
		if i%2 == 0 {
			cancel()
		}
		if i%3 == 0 {
			time.Sleep(time.Nanosecond)
		}
		w.Unwatch()
		if i%2 == 1 {
			cancel()
		}
	}
}
