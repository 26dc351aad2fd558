package range_never_closed

// Negative: the range leaves once the state it waits for has arrived twice.
func waitForState(states []int, wanted int) {
	updates := make(chan int, 100)
	go func() {
		for _, s := range states {
			updates <- s
		}
	}()
	seen := 0
	for s := range updates {
		if s == wanted {
			seen++
		}
		if seen == 2 {
			return
		}
	}
}
