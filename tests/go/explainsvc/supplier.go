package main

import (
	"fmt"
	"io"
	"net/http"
)

// The supplier API is asked for stock and for prices. The stock check forgets to close the
// response body; the price lookup builds a new transport for every request and never closes
// its idle connections. Either way each request leaves a connection and its two goroutines
// (persistConn.readLoop and writeLoop) behind.

var supplierClient = &http.Client{}

func (s *server) stockLevel(sku string) (bool, error) {
	resp, err := supplierClient.Get(s.upstream + "/stock?sku=" + sku) // CAUSE: body
	if err != nil {
		return false, err
	}
	return resp.StatusCode == http.StatusOK, nil
}

func (s *server) handleStock(w http.ResponseWriter, r *http.Request) {
	ok, err := s.stockLevel("A-1")
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	fmt.Fprintln(w, ok)
}

func (s *server) price(sku string) (string, error) {
	client := &http.Client{Transport: &http.Transport{}} // CAUSE: transport
	resp, err := client.Get(s.upstream + "/price?sku=" + sku)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func (s *server) handlePrice(w http.ResponseWriter, r *http.Request) {
	p, err := s.price("A-1")
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	fmt.Fprint(w, p)
}
