// Package good compiles.
package good

// One is 1.
func One() int { return 1 }
