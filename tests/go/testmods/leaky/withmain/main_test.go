package withmain

import (
	"fmt"
	"testing"
	"time"
)

var shared *Refresher

// TestMain starts a refresher shared by every test and stops it after them: it must not count
// as a leak.
func TestMain(m *testing.M) {
	shared = Start(time.Hour)
	code := m.Run()
	shared.Stop()
	if code != 0 {
		fmt.Println("tests failed")
	}
	exit(code)
}

func TestForgetsToStop(t *testing.T) {
	Start(time.Hour) // never stopped
}

func TestStops(t *testing.T) {
	r := Start(time.Hour)
	r.Stop()
}
