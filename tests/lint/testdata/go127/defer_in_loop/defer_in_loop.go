package defer_in_loop

import (
	"bufio"
	"context"
	"database/sql"
	"io"
	"os"
	"sync"
	"time"
)

// countLines keeps every file open until the function returns.
func countLines(paths []string) (int, error) {
	total := 0
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return 0, err
		}
		defer f.Close() // want "defer-in-loop"
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			total++
		}
	}
	return total, nil
}

type Shards struct {
	locks []sync.Mutex
	data  []map[string]int
}

// Sum locks every shard and unlocks none until it returns.
func (s *Shards) Sum() int {
	sum := 0
	for i := range s.locks {
		s.locks[i].Lock()
		defer s.locks[i].Unlock() // want "defer-in-loop"
		for _, v := range s.data[i] {
			sum += v
		}
	}
	return sum
}

// migrate opens a transaction per table; rollbacks pile up.
func migrate(db *sql.DB, stmts []string) error {
	for _, q := range stmts {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		defer tx.Rollback() // want "defer-in-loop"
		if _, err := tx.Exec(q); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// pollForever never returns: the contexts are never cancelled.
func pollForever(ctx context.Context, poll func(context.Context) error) {
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel() // want "defer-in-loop"
		_ = poll(pctx)
	}
}

// The loop body is a function literal: the defer runs per iteration.
func countLinesScoped(paths []string) (int, error) {
	total := 0
	for _, p := range paths {
		n, err := func() (int, error) {
			f, err := os.Open(p)
			if err != nil {
				return 0, err
			}
			defer f.Close()
			n := 0
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				n++
			}
			return n, nil
		}()
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// A goroutine per item: its defer belongs to the goroutine.
func process(items []string, handle func(string)) {
	var wg sync.WaitGroup
	for _, it := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			handle(it)
		}()
	}
	wg.Wait()
}

// A defer that releases nothing (timing, recovery) is not reported.
func timed(steps []func(), record func(time.Duration)) {
	for _, step := range steps {
		start := time.Now()
		defer func() { record(time.Since(start)) }()
		step()
	}
}

// Deferred once, before the loop.
func copyAll(dst *os.File, srcs []string) error {
	defer dst.Close()
	for _, s := range srcs {
		data, err := os.ReadFile(s)
		if err != nil {
			return err
		}
		if _, err := dst.Write(data); err != nil {
			return err
		}
	}
	return nil
}

// listenAll keeps the listeners it returns; each defer closes its listener only if a later
// one fails (etcd's configurePeerListeners).
func listenAll(open func(string) (*os.File, error), addrs []string) (files []*os.File, err error) {
	for _, addr := range addrs {
		var f *os.File
		if f, err = open(addr); err != nil {
			return nil, err
		}
		defer func() {
			if err == nil {
				return
			}
			f.Close()
		}()
		files = append(files, f)
	}
	return files, nil
}

// The one-branch form of the same undo.
func openAll(paths []string) (files []*os.File, err error) {
	for _, p := range paths {
		f, openErr := os.Open(p)
		if openErr != nil {
			return nil, openErr
		}
		defer func() {
			if err != nil {
				f.Close()
			}
		}()
		files = append(files, f)
	}
	return files, nil
}

// A closure that always closes is still one release per iteration held to the end.
func sizes(paths []string) (total int64, err error) {
	for _, p := range paths {
		f, openErr := os.Open(p)
		if openErr != nil {
			return 0, openErr
		}
		defer func() { // want "defer-in-loop"
			if cerr := f.Close(); cerr != nil && err == nil {
				err = cerr
			}
		}()
		info, statErr := f.Stat()
		if statErr != nil {
			return 0, statErr
		}
		total += info.Size()
	}
	return total, nil
}

// readIndex gathers every shard file and reads them as one stream after the loop: each file
// must stay open until the function returns, so the deferred Close is the intended lifetime
// (x/tools godoc's Corpus.ReadIndex, file2fuzz's inputs).
func readIndex(paths []string, read func(io.Reader) error) error {
	files := make([]io.Reader, 0, len(paths))
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		files = append(files, f)
	}
	return read(io.MultiReader(files...))
}

// openTLSFiles stores each opened file in the field the caller's options point to; they are
// read after the loop (aws-sdk-go's session.loadCustomTLSFiles).
func openTLSFiles(names map[string]string, fields map[string]**os.File, use func() error) error {
	for key, name := range names {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		*fields[key] = f
	}
	return use()
}

// Only the name is kept: the files themselves are still held to the end for nothing.
func fileNames(paths []string) ([]string, error) {
	var names []string
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		defer f.Close() // want "defer-in-loop"
		names = append(names, f.Name())
	}
	return names, nil
}
