package abandoned_receive

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

type Server struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (s *Server) handshake(conn net.Conn) error {
	if conn == nil {
		return errors.New("no connection")
	}
	return nil
}

func (s *Server) serve(conn net.Conn) {}

// The watcher waits for a close that the handshake-failure path never does.
func (s *Server) handle(conn net.Conn) error {
	done := make(chan struct{})
	go func() {
		<-done // want "abandoned-receive"
		conn.Close()
	}()
	if err := s.handshake(conn); err != nil {
		return err
	}
	s.serve(conn)
	close(done)
	return nil
}

// Fixed: the deferred close signals the watcher on every path.
func (s *Server) handleDeferred(conn net.Conn) error {
	done := make(chan struct{})
	defer close(done)
	go func() {
		<-done
		conn.Close()
	}()
	if err := s.handshake(conn); err != nil {
		return err
	}
	s.serve(conn)
	return nil
}

// The watcher also listens to the context: it has its own way out.
func (s *Server) handleCtx(ctx context.Context, conn net.Conn) error {
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-ctx.Done():
		}
		conn.Close()
	}()
	if err := s.handshake(conn); err != nil {
		return err
	}
	close(done)
	return nil
}

// A worker waiting for its start signal, abandoned when setup fails.
func startWorker(setup func() error, work func()) error {
	start := make(chan bool)
	go func() {
		if <-start { // want "abandoned-receive"
			work()
		}
	}()
	if err := setup(); err != nil {
		return err
	}
	start <- true
	return nil
}

// The signal is sent before any return.
func startWorkerFirst(setup func() error, work func()) error {
	start := make(chan bool)
	go func() {
		if <-start {
			work()
		}
	}()
	err := setup()
	start <- err == nil
	return err
}

// Nothing ever signals the stop channel: the janitor waits forever.
func (s *Server) startJanitor() {
	stop := make(chan struct{})
	go func() {
		<-stop // want "abandoned-receive"
		s.mu.Lock()
		s.conns = nil
		s.mu.Unlock()
	}()
	time.Sleep(time.Millisecond)
}

// The stop channel is handed to the caller, who owns the close.
func (s *Server) startJanitorOwned() chan<- struct{} {
	stop := make(chan struct{})
	go func() {
		<-stop
		s.mu.Lock()
		s.conns = nil
		s.mu.Unlock()
	}()
	return stop
}

// A result waited for in a goroutine; the early return skips the send.
func (s *Server) report(conn net.Conn, publish func(error)) error {
	result := make(chan error)
	go func() {
		err := <-result // want "abandoned-receive"
		publish(err)
	}()
	if conn == nil {
		return errors.New("nil conn")
	}
	result <- s.handshake(conn)
	return nil
}

type uploadOutcome struct {
	name string
	err  error
}

func recordOutcome(outcomes <-chan uploadOutcome, log func(string, error)) {
	o := <-outcomes // want "abandoned-receive"
	log(o.name, o.err)
}

// The waiting goroutine is a named function; the bad-request path returns before the send.
func Upload(name string, size int64, log func(string, error)) error {
	outcomes := make(chan uploadOutcome)
	go recordOutcome(outcomes, log)
	if size <= 0 {
		return errors.New("empty upload")
	}
	outcomes <- uploadOutcome{name: name}
	return nil
}
