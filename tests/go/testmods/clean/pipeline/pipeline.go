// Package pipeline chains stages that all end when the input ends.
package pipeline

// Double doubles every value until in is closed.
func Double(in <-chan int) <-chan int {
	out := make(chan int)
	go func() {
		defer close(out)
		for v := range in {
			out <- 2 * v
		}
	}()
	return out
}

// Emit sends the values and closes the channel.
func Emit(vs ...int) <-chan int {
	out := make(chan int)
	go func() {
		defer close(out)
		for _, v := range vs {
			out <- v
		}
	}()
	return out
}
