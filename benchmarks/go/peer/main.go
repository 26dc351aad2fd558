// peer is the compiled yardstick for goleash's dump reading: a straightforward stdlib-only Go
// program that reads a debug=2 goroutine dump, parses each goroutine's header and frames
// (function without arguments, file, line, creator) and counts identical stacks in a map. It
// prints the number of goroutines and of distinct stacks, so a run can be checked against
// goleash's reading of the same file.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

type frame struct {
	function string
	file     string
	line     int
}

type goroutine struct {
	id      uint64
	state   string
	minutes int
	frames  []frame
	creator frame
	parent  uint64
}

// key is what identifies a stack: state, frames and creator, not ids or arguments.
func (g *goroutine) key() string {
	var b strings.Builder
	b.WriteString(g.state)
	for _, f := range g.frames {
		b.WriteByte(0)
		b.WriteString(f.function)
		b.WriteByte(1)
		b.WriteString(f.file)
		b.WriteByte(1)
		b.WriteString(strconv.Itoa(f.line))
	}
	b.WriteString("\x00created\x00")
	b.WriteString(g.creator.function)
	b.WriteByte(1)
	b.WriteString(g.creator.file)
	b.WriteByte(1)
	b.WriteString(strconv.Itoa(g.creator.line))
	return b.String()
}

type group struct {
	count   int
	parents []uint64
	ids     []uint64
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: peer DUMP")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)

	groups := map[string]*group{}
	total := 0
	var g *goroutine
	var pending string // a function line waiting for its file line
	creator := false
	flush := func() {
		if g == nil {
			return
		}
		k := g.key()
		gr := groups[k]
		if gr == nil {
			gr = &group{}
			groups[k] = gr
		}
		gr.count++
		gr.ids = append(gr.ids, g.id)
		if g.parent != 0 {
			gr.parents = append(gr.parents, g.parent)
		}
		total++
		g = nil
	}
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0:
			flush()
		case bytes.HasPrefix(line, []byte("goroutine ")):
			flush()
			g = parseHeader(line)
		case g == nil:
			// text outside a goroutine
		case line[0] == '\t':
			file, ln := parseFile(line[1:])
			if creator {
				g.creator = frame{pending, file, ln}
			} else {
				g.frames = append(g.frames, frame{pending, file, ln})
			}
		case bytes.HasPrefix(line, []byte("created by ")):
			rest := line[len("created by "):]
			if i := bytes.Index(rest, []byte(" in goroutine ")); i >= 0 {
				g.parent, _ = strconv.ParseUint(string(rest[i+len(" in goroutine "):]), 10, 64)
				rest = rest[:i]
			}
			pending, creator = string(rest), true
		default:
			if i := bytes.LastIndexByte(line, '('); i > 0 {
				line = line[:i]
			}
			pending, creator = string(line), false
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Printf("%d goroutines in %d groups\n", total, len(groups))
}

func parseHeader(line []byte) *goroutine {
	g := &goroutine{}
	rest := line[len("goroutine "):]
	sp := bytes.IndexByte(rest, ' ')
	if sp < 0 {
		return g
	}
	g.id, _ = strconv.ParseUint(string(rest[:sp]), 10, 64)
	open := bytes.IndexByte(rest, '[')
	end := bytes.IndexByte(rest, ']')
	if open < 0 || end < open {
		return g
	}
	status := string(rest[open+1 : end])
	parts := strings.Split(status, ", ")
	g.state = parts[0]
	for _, p := range parts[1:] {
		if strings.HasSuffix(p, " minutes") {
			g.minutes, _ = strconv.Atoi(strings.TrimSuffix(p, " minutes"))
		}
	}
	return g
}

func parseFile(line []byte) (string, int) {
	if i := bytes.Index(line, []byte(" +0x")); i >= 0 {
		line = line[:i]
	}
	c := bytes.LastIndexByte(line, ':')
	if c < 0 {
		return string(line), 0
	}
	n, _ := strconv.Atoi(string(line[c+1:]))
	return string(line[:c]), n
}
