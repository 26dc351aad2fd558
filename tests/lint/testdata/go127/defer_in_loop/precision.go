package defer_in_loop

import (
	"encoding/json"
	"io"
	"net"
	"os"
	"sync"
)

// Negative cases: defers in loops whose resources must live until the function returns.

// The files stay open for the decoders used after the loop.
func decodeAll(names []string) ([]map[string]any, error) {
	var decoders []*json.Decoder
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		decoders = append(decoders, json.NewDecoder(f))
	}
	var out []map[string]any
	for _, d := range decoders {
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// The last file's reader is kept in a variable of the function.
func lastReader(names []string) (io.Reader, error) {
	var r io.Reader
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = io.LimitReader(f, 1<<20)
	}
	buf := make([]byte, 10)
	_, err := r.Read(buf)
	return r, err
}

// Failure cleanup guarded by a flag: on success the listeners outlive the function.
func listenEvery(addrs []string) ([]net.Listener, error) {
	var out []net.Listener
	for _, a := range addrs {
		l, err := net.Listen("tcp", a)
		if err != nil {
			return nil, err
		}
		ok := false
		defer func() {
			if !ok {
				l.Close()
			}
		}()
		out = append(out, l)
		ok = true
	}
	return out, nil
}

// Each writer is closed explicitly (its error checked); the defer only covers early returns.
func writeAll(names []string, data []byte) error {
	for _, name := range names {
		w, err := os.Create(name)
		if err != nil {
			return err
		}
		defer w.Close()
		if _, err := w.Write(data); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
	return nil
}

type Server struct {
	mu   sync.Mutex
	conn net.Conn
}

// After a swap the previous generation's connection is closed when the reload is done.
func (s *Server) reload(dial func() (net.Conn, error), times int) error {
	for range times {
		c, err := dial()
		if err != nil {
			return err
		}
		old := s.conn
		s.conn = c
		if old != nil {
			defer old.Close()
		}
	}
	return nil
}

// Still reported: a nil check of the resource itself is no failure flag.
func sizesOf(names []string) (int64, error) {
	var total int64
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			return 0, err
		}
		defer func() { // want "defer-in-loop"
			if f != nil {
				f.Close()
			}
		}()
		st, err := f.Stat()
		if err != nil {
			return 0, err
		}
		total += st.Size()
	}
	return total, nil
}

type Mux struct{ conn net.Conn }

func NewMux(c net.Conn) *Mux { return &Mux{conn: c} }

// The connections live on inside muxes used after the loop.
func muxAll(addrs []string) ([]*Mux, error) {
	var muxes []*Mux
	for _, a := range addrs {
		c, err := net.Dial("tcp", a)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		m := NewMux(c)
		muxes = append(muxes, m)
	}
	for _, m := range muxes {
		_ = m.conn.LocalAddr()
	}
	return muxes, nil
}

// Every element of the array is used after the loop.
func openEach(names [4]string) (int64, error) {
	var files [4]*os.File
	for i := range files {
		f, err := os.Open(names[i])
		if err != nil {
			return 0, err
		}
		files[i] = f
		defer files[i].Close()
	}
	var total int64
	for _, f := range files {
		st, err := f.Stat()
		if err != nil {
			return 0, err
		}
		total += st.Size()
	}
	return total, nil
}

// The loop only schedules the closing of resources used until the function returns.
func closeAfter(run func(), closers ...io.Closer) {
	for _, c := range closers {
		defer c.Close()
	}
	run()
}
