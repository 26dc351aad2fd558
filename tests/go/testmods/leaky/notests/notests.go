// Package notests has no tests: goleash leaves it to go test.
package notests

// Answer is 42.
func Answer() int { return 42 }
