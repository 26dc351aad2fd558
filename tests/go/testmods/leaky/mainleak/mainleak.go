// Package mainleak reloads its configuration when told to.
package mainleak

// Watch reloads on every signal until the channel is closed.
func Watch(reload <-chan struct{}, apply func()) {
	for range reload {
		apply()
	}
}
