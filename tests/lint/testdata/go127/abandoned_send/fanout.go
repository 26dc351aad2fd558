package abandoned_send

import (
	"context"
	"net/http"
)

type Mirror struct {
	client *http.Client
}

func (m *Mirror) get(url string) (*http.Response, error) { return m.client.Get(url) }

// "First answer wins": every mirror but the fastest blocks forever on its send.
func (m *Mirror) Fastest(urls []string) *http.Response {
	first := make(chan *http.Response)
	for _, u := range urls {
		go func(u string) {
			resp, err := m.get(u)
			if err != nil {
				return
			}
			first <- resp // want "abandoned-send"
		}(u)
	}
	return <-first
}

// The same with room for every answer: nobody blocks.
func (m *Mirror) FastestBuffered(urls []string) *http.Response {
	first := make(chan *http.Response, len(urls))
	for _, u := range urls {
		go func() {
			resp, _ := m.get(u)
			first <- resp
		}()
	}
	return <-first
}

// Collect every error, but return on the first: the remaining workers stay blocked.
func CheckAll(ctx context.Context, checks []func(context.Context) error) error {
	errc := make(chan error)
	for _, check := range checks {
		go func() {
			errc <- check(ctx) // want "abandoned-send"
		}()
	}
	for range checks {
		if err := <-errc; err != nil {
			return err
		}
	}
	return nil
}

// Every answer is received: the loop drains exactly as many values as were sent.
func SumAll(parts [][]int) int {
	sums := make(chan int)
	for _, p := range parts {
		go func() {
			total := 0
			for _, v := range p {
				total += v
			}
			sums <- total
		}()
	}
	total := 0
	for range parts {
		total += <-sums
	}
	return total
}

// Two fixed senders, two receives: matched.
func Pair(a, b func() int) (int, int) {
	ch := make(chan int)
	go func() { ch <- a() }()
	go func() { ch <- b() }()
	return <-ch, <-ch
}

// Two fixed senders, one receive: the slower one leaks.
func Race(a, b func() int) int {
	ch := make(chan int)
	go func() { ch <- a() }() // want "abandoned-send"
	go func() { ch <- b() }() // want "abandoned-send"
	return <-ch
}

// A timeout with a buffer as large as the number of senders.
func RaceBuffered(ctx context.Context, a, b func() int) int {
	ch := make(chan int, 2)
	go func() { ch <- a() }()
	go func() { ch <- b() }()
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		return 0
	}
}

func probe(addr string, out chan<- string) {
	out <- addr // want "abandoned-send"
}

// A named sender function per address; the caller keeps only the first.
func FirstReachable(addrs []string) string {
	out := make(chan string)
	for _, a := range addrs {
		go probe(a, out)
	}
	return <-out
}
