package field_send_after_stop

import "context"

type Notifier struct {
	events chan string
	quit   chan struct{}
}

func NewNotifier() *Notifier {
	return &Notifier{events: make(chan string), quit: make(chan struct{})}
}

func (n *Notifier) run() {
	for {
		select {
		case <-n.quit:
			return
		case e := <-n.events:
			println(e)
		}
	}
}

// Positive: after Stop nothing receives from n.events.
func (n *Notifier) Notify(e string) {
	n.events <- e // want "field-send-after-stop"
}

// Negative: the sender watches the same stop channel.
func (n *Notifier) TryNotify(e string) bool {
	select {
	case n.events <- e:
		return true
	case <-n.quit:
		return false
	}
}

func (n *Notifier) Stop() { close(n.quit) }

// Negative: a buffered field (made with room), and a loop with no stop case.
type Meter struct {
	samples chan int
	ticks   chan int
}

func NewMeter() *Meter { return &Meter{samples: make(chan int, 128), ticks: make(chan int)} }

func (m *Meter) collect(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case s := <-m.samples:
			_ = s
		}
	}
}

func (m *Meter) Record(v int) { m.samples <- v }

func (m *Meter) count() {
	for t := range m.ticks {
		_ = t
	}
}

func (m *Meter) Tick(v int) { m.ticks <- v }
