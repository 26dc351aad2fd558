package external_test

import (
	"testing"

	"example.com/leaky/external"
)

func TestTicketsLeak(t *testing.T) {
	c := external.Tickets(nil) // nil done: the server never stops
	if <-c != 1 {
		t.Fatal("first ticket")
	}
}

func TestTicketsStopped(t *testing.T) {
	done := make(chan struct{})
	defer close(done)
	c := external.Tickets(done)
	if <-c != 1 {
		t.Fatal("first ticket")
	}
}
