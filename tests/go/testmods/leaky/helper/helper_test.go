package helper

import "testing"

func TestServeLeaksWorker(t *testing.T) {
	Serve()
}

func TestNothingStarted(t *testing.T) {}
