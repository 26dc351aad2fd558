package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
)

// http-no-timeout: each order fires a webhook in the background with an http.Client that has
// no timeout. The webhook receiver accepts connections and never answers, so every webhook
// goroutine waits for a response forever.

// silentReceiver accepts connections and never reads or writes: a peer that hangs.
type silentReceiver struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (sr *silentReceiver) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		sr.mu.Lock()
		sr.conns = append(sr.conns, c)
		sr.mu.Unlock()
	}
}

var webhookClient = &http.Client{} // no Timeout

func notifyWebhook(url, order string) {
	resp, err := webhookClient.Post(url, "application/json", strings.NewReader(order)) // LEAK: blocks here
	if err != nil {
		return
	}
	resp.Body.Close()
}

func init() {
	register("http-no-timeout", scenario{
		start: func(s *service) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			go (&silentReceiver{}).serve(ln)
			hook := "http://" + ln.Addr().String() + "/hook"
			s.handle("/order", func(w http.ResponseWriter, r *http.Request) {
				go notifyWebhook(hook, `{"order": 1}`) // LEAK: started here
				w.WriteHeader(http.StatusAccepted)
			})
		},
		traffic: func(s *service) {
			for i := 0; i < s.n; i++ {
				s.get("/order")
			}
		},
	})
}
