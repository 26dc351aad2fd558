package unclosed_body

import "net/http"

// Negative for unclosed-body: the body is closed on the only path that has one (a failed call
// has no body). The default client without a deadline is another rule's finding.
func smart(url string) bool {
	res, err := http.Head(url) // want "http-client-no-timeout"
	if err != nil || res.StatusCode != http.StatusOK {
		res, err = http.Get(url) // want "http-client-no-timeout"
		if err == nil {
			res.Body.Close()
		}
		if err != nil || res.StatusCode != http.StatusOK {
			return false
		}
		return true
	}
	res.Body.Close()
	return true
}

// Negative: a retry closure fills the caller's variable; the caller returns the response.
func retry(f func() error) error { return f() }

func fetchRange(client *http.Client, req *http.Request) (*http.Response, error) {
	var res *http.Response
	err := retry(func() error {
		var err error
		res, err = client.Do(req)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
