// Package server answers greetings over HTTP.
package server

import (
	"fmt"
	"net/http"
)

// Handler greets the name in the query.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.URL.Query().Get("name"))
	})
}
