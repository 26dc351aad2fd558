package abandoned_send

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"
)

// Serve runs three servers and exits the process on the first failure (etcd's grpc proxy):
// the other senders stay blocked, but the program is ending.
func Serve(grpcL, httpL net.Listener, srv *http.Server, serveGRPC func(net.Listener) error) {
	errc := make(chan error)
	go func() { errc <- serveGRPC(grpcL) }()
	go func() { errc <- srv.Serve(httpL) }()
	go func() { errc <- http.Serve(httpL, nil) }()
	fmt.Fprintln(os.Stderr, <-errc)
	os.Exit(1)
}

// ServeFatal is the one-line form.
func ServeFatal(a, b net.Listener) {
	errc := make(chan error)
	go func() { errc <- http.Serve(a, nil) }()
	go func() { errc <- http.Serve(b, nil) }()
	log.Fatal(<-errc)
}

// ServeReturn returns the first error instead: the second server's goroutine leaks.
func ServeReturn(a, b net.Listener) error {
	errc := make(chan error)
	go func() { errc <- http.Serve(a, nil) }() // want "abandoned-send"
	go func() { errc <- http.Serve(b, nil) }() // want "abandoned-send"
	err := <-errc
	log.Print(err)
	return err
}

// Resolve starts one goroutine per element of a two-element literal with a buffer of two
// (mgo's resolveAddr): no send can block.
func Resolve(addr string) *net.UDPAddr {
	addrs := make(chan *net.UDPAddr, 2)
	for _, network := range []string{"udp4", "udp6"} {
		go func() {
			conn, err := net.DialTimeout(network, addr, 10*time.Second)
			if err != nil {
				addrs <- nil
				return
			}
			defer conn.Close()
			udp, _ := conn.RemoteAddr().(*net.UDPAddr)
			addrs <- udp
		}()
	}
	first := <-addrs
	if first == nil || len(first.IP) != 4 {
		select {
		case second := <-addrs:
			if second != nil {
				return second
			}
		case <-time.After(50 * time.Millisecond):
		}
	}
	return first
}

// ResolveFour has four networks for a buffer of two and one receive.
func ResolveFour(addr string) net.Addr {
	addrs := make(chan net.Addr, 2)
	for _, network := range []string{"tcp4", "tcp6", "tcp", "udp"} {
		go func() {
			conn, err := net.DialTimeout(network, addr, time.Second)
			if err != nil {
				addrs <- nil // want "abandoned-send"
				return
			}
			defer conn.Close()
			addrs <- conn.RemoteAddr() // want "abandoned-send"
		}()
	}
	return <-addrs
}
