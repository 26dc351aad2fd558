package select_default_send

import "context"

// Positive: the stop case is not watched while the send in default waits.
func pump(ctx context.Context, in []int, out chan<- int) {
	for _, v := range in {
		select {
		case <-ctx.Done():
			return
		default:
			out <- v // want "select-default-send"
		}
	}
}

// Negative: the send is a case of the select.
func pumpFixed(ctx context.Context, in []int, out chan<- int) {
	for _, v := range in {
		select {
		case <-ctx.Done():
			return
		case out <- v:
		}
	}
}

// Negative: a buffered result channel, and one answer handed over as the goroutine ends.
func fetch(ctx context.Context, get func() (int, error)) (int, error) {
	errs := make(chan error, 1)
	vals := make(chan int)
	go func() {
		for {
			select {
			case <-ctx.Done():
				errs <- ctx.Err()
				return
			default:
				v, err := get()
				if err != nil {
					errs <- err
					continue
				}
				vals <- v
				return
			}
		}
	}()
	select {
	case v := <-vals:
		return v, nil
	case err := <-errs:
		return 0, err
	}
}

// Negative: the handshake sends on the stop channel itself.
type Broadcaster struct{ closed chan chan struct{} }

func (b *Broadcaster) Close() {
	select {
	case <-b.closed:
		return
	default:
		done := make(chan struct{})
		b.closed <- done
		<-done
	}
}
