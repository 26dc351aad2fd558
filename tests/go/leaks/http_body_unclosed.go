package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
)

// http-body-unclosed: a handler asks an upstream service for a price and checks only the
// status code. The response body is never closed, so the client connection can neither be
// reused nor closed: its transport goroutines (readLoop, writeLoop) stay forever, one pair
// per request.

func startUpstream(h http.HandlerFunc) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go http.Serve(ln, h)
	return "http://" + ln.Addr().String()
}

func priceIsFresh(client *http.Client, upstream string) (bool, error) {
	resp, err := client.Get(upstream + "/price")
	if err != nil {
		return false, err
	}
	// Missing: defer resp.Body.Close()
	return resp.StatusCode == http.StatusOK, nil
}

func init() {
	register("http-body-unclosed", scenario{
		start: func(s *service) {
			upstream := startUpstream(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintln(w, `{"cents": 4200}`)
			})
			client := &http.Client{}
			s.handle("/price", func(w http.ResponseWriter, r *http.Request) {
				fresh, err := priceIsFresh(client, upstream)
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadGateway)
					return
				}
				fmt.Fprintln(w, fresh)
			})
		},
		traffic: func(s *service) {
			for i := 0; i < s.n; i++ {
				s.get("/price")
			}
		},
	})
}
