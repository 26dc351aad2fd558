package stream_recv_no_eof

import (
	"context"
	"errors"
	"io"
	"log"
)

type Msg struct{ Body string }

// Stream is the shape of a gRPC client or server stream.
type Stream interface {
	Recv() (*Msg, error)
}

type Client struct {
	applied int
}

func (c *Client) apply(m *Msg) { c.applied++ }

// Logs the error and loops again, forever, after io.EOF.
func (c *Client) Watch(stream Stream) {
	for {
		m, err := stream.Recv() // want "stream-recv-no-eof"
		if err != nil {
			log.Printf("watch: %v", err)
			continue
		}
		c.apply(m)
	}
}

// Fixed: io.EOF ends the loop, other errors return.
func (c *Client) WatchFixed(stream Stream) error {
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		c.apply(m)
	}
	return nil
}

// The error is dropped entirely.
func (c *Client) Consume(stream Stream) {
	for {
		m, _ := stream.Recv() // want "stream-recv-no-eof"
		if m != nil {
			c.apply(m)
		}
	}
}

// errors.Is with a return.
func (c *Client) ConsumeIs(stream Stream) error {
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		c.apply(m)
	}
}

// A switch on the error whose break only leaves the switch.
func (c *Client) Follow(ctx context.Context, stream Stream) {
	for ctx.Err() == nil {
		m, err := stream.Recv() // want "stream-recv-no-eof"
		switch {
		case err == io.EOF:
			break
		case err != nil:
			log.Println(err)
		default:
			c.apply(m)
		}
	}
}

// The loop header tests the error.
func (c *Client) Header(stream Stream) {
	for m, err := stream.Recv(); err == nil; m, err = stream.Recv() {
		c.apply(m)
	}
}

// A server-side handler that only checks the message.
func (c *Client) Serve(stream Stream, out chan<- *Msg) {
	for {
		in, err := stream.Recv() // want "stream-recv-no-eof"
		if in == nil {
			continue
		}
		if err == nil {
			out <- in
		}
	}
}

// Receive in an if initializer with a return.
func (c *Client) Pump(stream Stream, out chan<- *Msg) error {
	for {
		if m, err := stream.Recv(); err != nil {
			return err
		} else {
			out <- m
		}
	}
}
