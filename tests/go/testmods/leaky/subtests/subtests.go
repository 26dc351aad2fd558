// Package subtests watches a value until told to stop.
package subtests

// Watch reports changes on the returned channel until stop is closed. With stop == nil it
// never ends.
func Watch(values <-chan int, stop <-chan struct{}) <-chan int {
	out := make(chan int, 1)
	go func() {
		for {
			select {
			case v := <-values:
				select {
				case out <- v:
				default:
				}
			case <-stop:
				return
			}
		}
	}()
	return out
}
