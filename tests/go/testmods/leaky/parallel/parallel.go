// Package parallel fans work out to goroutines; Fetch forgets its workers when the first
// answer arrives.
package parallel

// FirstOf returns the first answer of n workers; the others block forever on the unbuffered
// channel.
func FirstOf(n int) int {
	answers := make(chan int)
	for i := 0; i < n; i++ {
		go func(i int) { answers <- i }(i)
	}
	return <-answers
}

// AllOf waits for every worker: nothing is left behind.
func AllOf(n int) int {
	answers := make(chan int, n)
	for i := 0; i < n; i++ {
		go func(i int) { answers <- i }(i)
	}
	sum := 0
	for i := 0; i < n; i++ {
		sum += <-answers
	}
	return sum
}
