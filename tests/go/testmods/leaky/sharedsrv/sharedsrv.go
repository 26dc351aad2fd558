// Package sharedsrv serves reports; a report is rendered in the background and its result
// waited for, unless the client gives up first.
package sharedsrv

import (
	"fmt"
	"net/http"
	"time"
)

// Handler renders reports. With ?wait=0 it does not wait for the renderer, which then blocks
// forever on its unbuffered result channel.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		done := make(chan string)
		go func() {
			time.Sleep(time.Millisecond)
			done <- "report"
		}()
		if r.URL.Query().Get("wait") == "0" {
			fmt.Fprint(w, "accepted")
			return
		}
		fmt.Fprint(w, <-done)
	})
}
