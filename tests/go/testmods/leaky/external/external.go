// Package external hands out tickets from a background goroutine.
package external

// Tickets returns a channel of ticket numbers served by a goroutine that runs until done is
// closed.
func Tickets(done <-chan struct{}) <-chan int {
	c := make(chan int)
	go func() {
		for n := 1; ; n++ {
			select {
			case c <- n:
			case <-done:
				return
			}
		}
	}()
	return c
}
