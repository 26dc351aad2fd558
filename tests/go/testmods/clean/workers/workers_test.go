package workers

import (
	"context"
	"testing"
	"time"
)

func TestSquares(t *testing.T) {
	t.Parallel()
	got := Squares(context.Background(), 4, []int{1, 2, 3, 4, 5})
	if got[4] != 25 {
		t.Fatal(got)
	}
}

func TestSquaresCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	Squares(ctx, 3, nil)
}

func TestTicker(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	tick := make(chan struct{})
	tk := Start(ctx, tick)
	tick <- struct{}{}
	cancel()
	tk.Wait()
}

// The goroutine ends shortly after the test returns: settling waits for it.
func TestExitsSoonAfter(t *testing.T) {
	done := make(chan struct{})
	go func() {
		time.Sleep(30 * time.Millisecond)
		close(done)
	}()
}
