"""The leaky Go service behind ``goleash demo`` (main.go, go.mod) and the code that runs it."""
