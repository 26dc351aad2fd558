package subtests

import "testing"

func TestWatch(t *testing.T) {
	cases := []struct {
		name string
		stop bool
	}{
		{"stopped", true},
		{"never stopped", false},
		{"stopped again", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			values := make(chan int)
			var stop chan struct{}
			if c.stop {
				stop = make(chan struct{})
				defer close(stop)
			}
			out := Watch(values, stop)
			values <- 1
			if v := <-out; v != 1 {
				t.Fatal(v)
			}
		})
	}
}

func TestNoGoroutines(t *testing.T) {
	if 1+1 != 2 {
		t.Fatal("arithmetic")
	}
}
