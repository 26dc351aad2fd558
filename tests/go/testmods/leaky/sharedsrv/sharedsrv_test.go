package sharedsrv

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
)

var srv *httptest.Server

// TestMain shares one server among the tests and closes it after them.
func TestMain(m *testing.M) {
	srv = httptest.NewServer(Handler())
	code := m.Run()
	srv.Close()
	http.DefaultClient.CloseIdleConnections()
	os.Exit(code)
}

func get(t *testing.T, query string) string {
	t.Helper()
	resp, err := http.Get(srv.URL + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestReportWaits(t *testing.T) {
	if got := get(t, "?wait=1"); got != "report" {
		t.Fatal(got)
	}
}

func TestReportFireAndForget(t *testing.T) {
	if got := get(t, "?wait=0"); got != "accepted" {
		t.Fatal(got)
	}
}

func TestReportWaitsAgain(t *testing.T) {
	if got := get(t, "?wait=1"); got != "report" {
		t.Fatal(got)
	}
}
