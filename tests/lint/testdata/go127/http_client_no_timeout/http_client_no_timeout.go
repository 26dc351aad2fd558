package http_client_no_timeout

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// A package client with no timeout at all.
var quotes = &http.Client{} // want "http-client-no-timeout"

type Gateway struct {
	client *http.Client
	base   string
}

// NewGateway sets a redirect policy but forgets the timeout.
func NewGateway(base string) *Gateway {
	return &Gateway{
		base: base,
		client: &http.Client{ // want "http-client-no-timeout"
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// A transport literal with keep-alives but no timeouts of its own.
func newPooledClient() http.Client {
	return http.Client{ // want "http-client-no-timeout"
		Transport: &http.Transport{MaxIdleConnsPerHost: 32},
	}
}

// Calls through the default client with no deadline anywhere (info).
func fetchQuote(symbol string) ([]byte, error) {
	resp, err := http.Get("https://quotes.example.com/" + url.PathEscape(symbol)) // want "http-client-no-timeout"
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

func report(req *http.Request) error {
	resp, err := http.DefaultClient.Do(req) // want "http-client-no-timeout"
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// Timeout set: fine.
var api = &http.Client{Timeout: 10 * time.Second}

// Transport with dial and header timeouts: fine.
var tuned = &http.Client{
	Transport: &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		ResponseHeaderTimeout: 10 * time.Second,
	},
}

// Timeout assigned right after construction.
func newClient(d time.Duration) *http.Client {
	c := &http.Client{}
	c.Timeout = d
	return c
}

// Default client, but the request carries a deadline.
func ping(parent context.Context, u string) error {
	ctx, cancel := context.WithTimeout(parent, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// A client configured by a transport built elsewhere.
func withTransport(rt http.RoundTripper) *http.Client {
	return &http.Client{Transport: rt}
}

func use() (*http.Client, *http.Client) { return quotes, api }

// The request is sent with the caller's context (x/tools' playground: its caller gives it a
// 60 s deadline): the deadline is the caller's to set.
func post(ctx context.Context, u, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	return http.DefaultClient.Do(req.WithContext(ctx))
}

// A proxy bound to the inbound request: it ends when that client hangs up.
func forward(w http.ResponseWriter, r *http.Request, target string) {
	out, err := http.NewRequestWithContext(r.Context(), r.Method, target, r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	resp, err := http.DefaultClient.Do(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	_, _ = io.Copy(w, resp.Body)
}

// A context that never ends is no deadline: still reported.
func fetchStatus(u string) (int, error) {
	ctx := context.Background()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req) // want "http-client-no-timeout"
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}

// retryingTransport sends every attempt through a client of its own (go-retryablehttp's
// RoundTripper): that client's Timeout, set where it is built, bounds each request.
type retryingTransport struct {
	Client   *http.Client
	Attempts int
}

func (t *retryingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var resp *http.Response
	var err error
	for i := 0; i < t.Attempts; i++ {
		if resp, err = t.Client.Do(req); err == nil {
			return resp, nil
		}
	}
	return resp, err
}

// StandardClient hands out a plain *http.Client over the retrying one.
func StandardClient(inner *http.Client) *http.Client {
	return &http.Client{Transport: &retryingTransport{Client: inner, Attempts: 3}}
}
