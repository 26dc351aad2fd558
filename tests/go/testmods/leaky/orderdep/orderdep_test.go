package orderdep

import "testing"

// Each test is clean alone; together the subscription of the first outlives it and the
// second's event is delivered to nobody.
func TestSubscribeAndForget(t *testing.T) {
	Subscribe(make(chan string))
}

func TestPublish(t *testing.T) {
	Publish("deploy")
}
