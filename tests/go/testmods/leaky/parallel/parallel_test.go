package parallel

import (
	"testing"
	"time"
)

func TestFirstOfLeaks(t *testing.T) {
	t.Parallel()
	time.Sleep(20 * time.Millisecond) // overlap with the other parallel tests
	if got := FirstOf(4); got < 0 {
		t.Fatal(got)
	}
}

func TestAllOfClean(t *testing.T) {
	t.Parallel()
	time.Sleep(20 * time.Millisecond)
	if got := AllOf(4); got != 6 {
		t.Fatal(got)
	}
}

func TestAllOfCleanToo(t *testing.T) {
	t.Parallel()
	time.Sleep(20 * time.Millisecond)
	if got := AllOf(8); got != 28 {
		t.Fatal(got)
	}
}

func TestSerialClean(t *testing.T) {
	if got := AllOf(2); got != 1 {
		t.Fatal(got)
	}
}
