package unclosed_body

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Status never closes the body.
func Status(client *http.Client, u string) (int, error) {
	resp, err := client.Get(u) // want "unclosed-body"
	if err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

// Ping reads the body but returns early on a bad status without closing it.
func Ping(u string) ([]byte, error) {
	resp, err := http.Get(u) // want "unclosed-body" "http-client-no-timeout"
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("ping: %s", resp.Status)
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return data, err
}

type APIClient struct {
	httpClient *http.Client
	base       string
}

// Create decodes JSON and closes only on the success path.
func (c *APIClient) Create(name string) (string, error) {
	req, err := http.NewRequest(http.MethodPost, c.base+"/items", strings.NewReader(name))
	if err != nil {
		return "", err
	}
	resp, err := c.httpClient.Do(req) // want "unclosed-body"
	if err != nil {
		return "", err
	}
	var out struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", err
	}
	resp.Body.Close()
	return out.ID, nil
}

// Notify fires and forgets: the response is thrown away.
func Notify(hook string, form url.Values) error {
	_, err := http.PostForm(hook, form) // want "unclosed-body" "http-client-no-timeout"
	return err
}

// CheckAll leaks one body per URL that answers with an error status.
func CheckAll(client *http.Client, urls []string) error {
	var failed error
	for _, u := range urls {
		resp, err := client.Head(u) // want "unclosed-body"
		if err != nil {
			failed = errors.Join(failed, err)
			continue
		}
		if resp.StatusCode >= 500 {
			continue
		}
		resp.Body.Close()
	}
	return failed
}

// The else branch closes, but the status branch between them returns with the body open.
func Probe(client *http.Client, u string) bool {
	resp, err := client.Get(u) // want "unclosed-body"
	if err != nil {
		fmt.Println("probe:", err)
	} else if resp.StatusCode != http.StatusOK {
		return false
	} else {
		resp.Body.Close()
	}
	return err == nil
}
