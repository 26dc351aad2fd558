package rerun

import (
	"testing"
	"time"
)

func TestSubmitFinishes(t *testing.T) {
	done := make(chan struct{})
	Submit(func() { close(done) })
	if !Wait(done, time.Second) {
		t.Fatal("job did not run")
	}
}

func TestSubmitBlocks(t *testing.T) {
	never := make(chan struct{})
	Submit(func() { <-never }) // the job waits forever
}

func TestSubmitNothing(t *testing.T) {}
