package xmain_test

import (
	"context"
	"log"
	"testing"
	"time"

	"example.com/leaky/xmain"
)

var stopShared context.CancelFunc

// TestMain returns instead of calling os.Exit (Go 1.15+), after stopping what it started.
func TestMain(m *testing.M) {
	ctx, cancel := context.WithCancel(context.Background())
	stopShared = cancel
	xmain.Poll(ctx, time.Hour, func() {})
	if code := m.Run(); code != 0 {
		log.Printf("exit code %d", code)
	}
	stopShared()
	time.Sleep(time.Millisecond) // the poller exits right after; goleash waits if it must
}

func TestPollForever(t *testing.T) {
	xmain.Poll(context.Background(), time.Hour, func() {}) // context never ends
}

func TestPollStopped(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	xmain.Poll(ctx, time.Hour, func() {})
	cancel()
}
