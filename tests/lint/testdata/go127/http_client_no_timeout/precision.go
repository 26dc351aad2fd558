package http_client_no_timeout

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"
)

// Negative cases: the deadline is set elsewhere, or the client does no network I/O.

// Every request carries a context with a deadline set where it is made.
var apiClient = &http.Client{}

func getWithDeadline(url string) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	return apiClient.Do(req)
}

// A transport of the package's own type answers from memory.
type memoryTransport struct{ body string }

func (m *memoryTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(m.body))}, nil
}

func memoryClient() *http.Client {
	return &http.Client{Transport: &memoryTransport{body: "ok"}}
}
