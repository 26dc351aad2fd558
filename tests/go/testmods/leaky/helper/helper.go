// Package helper starts a supervisor that starts the real worker and returns.
package helper

// Serve starts a supervisor goroutine; the supervisor starts a worker that waits for jobs on
// a channel nobody ever sends to or closes, then the supervisor exits.
func Serve() {
	ready := make(chan struct{})
	go func() {
		jobs := make(chan func())
		go func() {
			for job := range jobs {
				job()
			}
		}()
		close(ready)
	}()
	<-ready
}
