// Package xmain polls a source until its context ends.
package xmain

import (
	"context"
	"time"
)

// Poll calls f every period until ctx ends.
func Poll(ctx context.Context, period time.Duration, f func()) {
	go func() {
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				f()
			case <-ctx.Done():
				return
			}
		}
	}()
}
