// Package bad does not compile: it uses a name that does not exist.
package bad

// Two should be 2.
func Two() int { return one + 1 }
