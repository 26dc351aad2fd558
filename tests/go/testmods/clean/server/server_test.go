package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestGreets(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	for _, name := range []string{"ana", "bo", "cy"} {
		if got := get(t, srv.URL+"?name="+name); got != "hello "+name {
			t.Fatal(got)
		}
	}
	http.DefaultClient.CloseIdleConnections()
}

func TestGreetsInParallel(t *testing.T) {
	srv := httptest.NewServer(Handler())
	t.Cleanup(srv.Close) // the parallel subtests run after this function returns
	for _, name := range []string{"dee", "eli"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := get(t, srv.URL+"?name="+name); got != "hello "+name {
				t.Fatal(got)
			}
		})
	}
}
