package abandoned_send

import (
	"context"
	"errors"
	"net/http"
	"time"
)

type Backend struct{}

func (b *Backend) Fetch(path string) ([]byte, error) { return []byte(path), nil }

type Handler struct {
	backend *Backend
}

// The request-timeout handler: the answer arrives after the timeout and nobody reads it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	result := make(chan []byte)
	go func() {
		body, _ := h.backend.Fetch(r.URL.Path)
		result <- body // want "abandoned-send"
	}()
	select {
	case body := <-result:
		w.Write(body)
	case <-time.After(2 * time.Second):
		http.Error(w, "timeout", http.StatusGatewayTimeout)
	}
}

// The same shape with the request context instead of a timer.
func (h *Handler) lookup(ctx context.Context, key string) ([]byte, error) {
	type answer struct {
		body []byte
		err  error
	}
	ch := make(chan answer)
	go func() {
		body, err := h.backend.Fetch(key)
		ch <- answer{body, err} // want "abandoned-send"
	}()
	select {
	case a := <-ch:
		return a.body, a.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Fixed with a buffer of one: the single sender never blocks.
func (h *Handler) lookupBuffered(ctx context.Context, key string) ([]byte, error) {
	ch := make(chan []byte, 1)
	go func() {
		body, _ := h.backend.Fetch(key)
		ch <- body
	}()
	select {
	case body := <-ch:
		return body, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Fixed on the sending side: the sender gives up with the request.
func (h *Handler) lookupSelectSend(ctx context.Context, key string) ([]byte, error) {
	ch := make(chan []byte)
	go func() {
		body, _ := h.backend.Fetch(key)
		select {
		case ch <- body:
		case <-ctx.Done():
		}
	}()
	select {
	case body := <-ch:
		return body, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func validate(key string) error {
	if key == "" {
		return errors.New("empty key")
	}
	return nil
}

// Early `return err` between starting the goroutine and receiving its answer.
func (h *Handler) fetchValidated(key string) ([]byte, error) {
	done := make(chan []byte)
	go func(k string) {
		body, _ := h.backend.Fetch(k)
		done <- body // want "abandoned-send"
	}(key)
	if err := validate(key); err != nil {
		return nil, err
	}
	return <-done, nil
}

// Validation before the goroutine starts: the receive is always reached.
func (h *Handler) fetchValidatedFirst(key string) ([]byte, error) {
	if err := validate(key); err != nil {
		return nil, err
	}
	done := make(chan []byte)
	go func() {
		body, _ := h.backend.Fetch(key)
		done <- body
	}()
	return <-done, nil
}

// The channel is handed back to the caller: the caller owns the receive.
func (h *Handler) fetchAsync(key string) <-chan []byte {
	out := make(chan []byte)
	go func() {
		body, _ := h.backend.Fetch(key)
		out <- body
	}()
	return out
}
