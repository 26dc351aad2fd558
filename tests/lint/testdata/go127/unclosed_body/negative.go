package unclosed_body

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"
)

// Deferred close after the error check.
func Fetch(client *http.Client, u string) ([]byte, error) {
	resp, err := client.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// The response is returned: the caller closes it (bodyclose #4).
func Open(client *http.Client, req *http.Request) (*http.Response, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// Closed by a same-package helper on every branch, no defer (bodyclose #30).
func closeResponse(body io.ReadCloser, logger *log.Logger) {
	if err := body.Close(); err != nil {
		logger.Print(err)
	}
}

func Poll(client *http.Client, u string, logger *log.Logger) {
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for range ticker.C {
		resp, err := client.Get(u)
		if err != nil {
			continue
		}
		if resp.StatusCode == http.StatusOK {
			closeResponse(resp.Body, logger)
			return
		}
		closeResponse(resp.Body, logger)
	}
}

// Closed inside a deferred closure that also logs the error.
func Download(client *http.Client, u string, w io.Writer) error {
	resp, err := client.Get(u)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := resp.Body.Close(); cerr != nil {
			log.Print(cerr)
		}
	}()
	_, err = io.Copy(w, resp.Body)
	return err
}

// The body is kept as an io.ReadCloser and closed through it (bodyclose #77).
func Stream(client *http.Client, u string, verbose bool) (int64, error) {
	resp, err := client.Get(u)
	if err != nil {
		return 0, err
	}
	var rc io.ReadCloser
	rc = resp.Body
	if verbose {
		log.Printf("streaming %s", u)
	}
	defer rc.Close()
	return io.Copy(io.Discard, rc)
}

// Stored in a struct: the owner closes it later (bodyclose #42).
type pending struct {
	resp *http.Response
}

func (p *pending) Start(client *http.Client, req *http.Request) error {
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	p.resp = resp
	return nil
}

func (p *pending) Close() error { return p.resp.Body.Close() }

// httptest recorders need no close (bodyclose #47); the handler's Get is not a client.
func Record(h http.Handler, req *http.Request) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result().StatusCode
}

// Closed on every branch without defer.
func Exists(client *http.Client, u string) (bool, error) {
	resp, err := client.Head(u)
	if err != nil {
		return false, err
	}
	if resp.StatusCode == http.StatusNotFound {
		resp.Body.Close()
		return false, nil
	}
	resp.Body.Close()
	return true, nil
}

// The close sits in the else branch of the error check; the error branch only logs
// (opencensus's helloworld client).
func PingLogged(client *http.Client, u string, logger *log.Logger) {
	resp, err := client.Get(u)
	if err != nil {
		logger.Printf("ping %s: %v", u, err)
	} else {
		resp.Body.Close()
	}
	time.Sleep(time.Second)
}
