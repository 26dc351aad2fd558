package range_never_closed

import (
	"strings"
	"sync"
)

type Job struct{ Name string }

type Result struct{ Out string }

func (j Job) Run() Result { return Result{strings.ToUpper(j.Name)} }

// Producers finish, nobody closes: the range waits forever.
func Collect(jobs []Job) []Result {
	results := make(chan Result)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- j.Run()
		}()
	}
	var out []Result
	for r := range results { // want "range-never-closed"
		out = append(out, r)
	}
	return out
}

// Fixed: a closer goroutine closes once every producer is done.
func CollectClosed(jobs []Job) []Result {
	results := make(chan Result)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- j.Run()
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	var out []Result
	for r := range results {
		out = append(out, r)
	}
	return out
}

// A worker pool whose job queue is never closed: every worker ranges forever.
func StartPool(n int, handle func(Job)) func(Job) {
	queue := make(chan Job, 16)
	for range n {
		go func() {
			for j := range queue { // want "range-never-closed"
				handle(j)
			}
		}()
	}
	return func(j Job) { queue <- j }
}

// The producer closes with defer.
func Lines(text string) []string {
	lines := make(chan string)
	go func() {
		defer close(lines)
		for _, l := range strings.Split(text, "\n") {
			lines <- l
		}
	}()
	var out []string
	for l := range lines {
		out = append(out, l)
	}
	return out
}

func produce(words []string, out chan<- string) {
	defer close(out)
	for _, w := range words {
		out <- w
	}
}

// The channel is passed to a producer function that closes it.
func Words(words []string) int {
	ch := make(chan string)
	go produce(words, ch)
	n := 0
	for range ch {
		n++
	}
	return n
}

// A logger goroutine draining a channel nothing closes.
func StartLogger(sink *strings.Builder) func(string) {
	entries := make(chan string, 64)
	go func() {
		for e := range entries { // want "range-never-closed"
			sink.WriteString(e)
		}
	}()
	return func(s string) { entries <- s }
}

// The producer literal takes the channel as a parameter and closes it.
func Squares(n int) []int {
	ch := make(chan int)
	go func(out chan<- int) {
		for i := range n {
			out <- i * i
		}
		close(out)
	}(ch)
	var got []int
	for v := range ch {
		got = append(got, v)
	}
	return got
}

// Fan-in without close: the merge loop in this function never ends.
func Merge(a, b []int) int {
	merged := make(chan int)
	go func() {
		for _, v := range a {
			merged <- v
		}
	}()
	go func() {
		for _, v := range b {
			merged <- v
		}
	}()
	sum := 0
	for v := range merged { // want "range-never-closed"
		sum += v
	}
	return sum
}

type row struct{ fields []string }

func storeRows(rows <-chan row, stored *int) {
	for r := range rows { // want "range-never-closed"
		*stored += len(r.fields)
	}
}

// The consumer is a named function started as a goroutine; nothing closes its channel.
func Import(lines []string) {
	rows := make(chan row)
	var stored int
	go storeRows(rows, &stored)
	for _, line := range lines {
		rows <- row{fields: strings.Split(line, ",")}
	}
}

// The same consumer, and the producer closes when done.
func ImportClosed(lines []string) {
	rows := make(chan row)
	var stored int
	go storeRows2(rows, &stored)
	for _, line := range lines {
		rows <- row{fields: strings.Split(line, ",")}
	}
	close(rows)
}

func storeRows2(rows <-chan row, stored *int) {
	for r := range rows {
		*stored += len(r.fields)
	}
}
