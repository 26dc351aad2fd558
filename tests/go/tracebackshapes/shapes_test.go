package main

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"testing/synctest"
)

// TestBubble prints runtime.Stack(all) from inside a synctest bubble, where a goroutine is
// durably blocked: its header says "synctest bubble N". Runs only with SHAPES_BUBBLE=1.
func TestBubble(t *testing.T) {
	if os.Getenv("SHAPES_BUBBLE") == "" {
		t.Skip("set SHAPES_BUBBLE=1")
	}
	synctest.Test(t, func(t *testing.T) {
		ch := make(chan int)
		go func() { ch <- 1 }()
		synctest.Wait()
		fmt.Fprintf(os.Stderr, "NumGoroutine=%d\n", runtime.NumGoroutine())
		buf := make([]byte, 1<<16)
		os.Stdout.Write(buf[:runtime.Stack(buf, true)])
		<-ch
	})
}

// TestHang blocks forever so that `-test.timeout` panics. Runs only with SHAPES_HANG=1.
func TestHang(t *testing.T) {
	if os.Getenv("SHAPES_HANG") == "" {
		t.Skip("set SHAPES_HANG=1")
	}
	<-make(chan int)
}
