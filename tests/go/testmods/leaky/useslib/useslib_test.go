package useslib

import "testing"

func TestHandleCounts(t *testing.T) {
	Handle()
	Handle()
}

func TestOther(t *testing.T) {}
