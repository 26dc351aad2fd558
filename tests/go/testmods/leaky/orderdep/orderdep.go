// Package orderdep delivers events to subscribers from a bus started when the package loads.
package orderdep

var (
	subscribe = make(chan chan string)
	publish   = make(chan string)
)

func init() {
	go func() {
		var subs []chan string
		for {
			select {
			case s := <-subscribe:
				subs = append(subs, s)
			case ev := <-publish:
				for _, s := range subs {
					go func(s chan string) { s <- ev }(s) // blocks while nobody reads s
				}
			}
		}
	}()
}

// Subscribe registers a channel for every later event.
func Subscribe(s chan string) { subscribe <- s }

// Publish sends an event to every subscriber.
func Publish(ev string) { publish <- ev }
