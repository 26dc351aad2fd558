// goleash adds this file to the package under test through `go test -overlay` (the tree on
// disk is never touched). Its TestMain notes the goroutines alive before the tests, runs them
// (through the package's own TestMain when it has one), waits for the goroutines the tests
// started to finish or settle, and writes those still alive to the file goleash reads.
//
// The runner replaces the package clause and the two lines marked "goleash:" below.

package goleashpkg

import (
	goleashbytes "bytes"
	goleashcontext "context"
	goleashhex "encoding/hex"
	goleashos "os"
	goleashreflect "reflect"
	goleashruntime "runtime"
	goleashpprof "runtime/pprof"
	goleashstrconv "strconv"
	goleashsync "sync"
	goleashtesting "testing"
	goleashtime "time"
)

const goleashKey = "PACKAGE-KEY" // goleash: names this package's result files

var goleashUserMain func(*goleashtesting.M) // goleash: the package's own TestMain, renamed

var (
	goleashBefore map[uint64]bool
	goleashMain   uint64
	goleashOnce   goleashsync.Once
)

func TestMain(m *goleashtesting.M) {
	goleashBefore = goleashIDs(goleashStacks())
	goleashMain = goleashSelf()
	if goleashUserMain == nil {
		goleashCheck(m.Run())
		return
	}
	// Goroutines the package's TestMain starts outside any test are named after it.
	labels := goleashpprof.Labels("goleash.test", "0")
	goleashpprof.SetGoroutineLabels(goleashpprof.WithLabels(goleashcontext.Background(), labels))
	goleashUserMain(m)
	// It returned instead of calling os.Exit: the code is where the generated main reads it.
	goleashCheck(int(goleashreflect.ValueOf(m).Elem().FieldByName("exitCode").Int()))
}

// goleashExit stands in for os.Exit in the file that holds the package's own TestMain, so its
// teardown has run before goroutines are checked.
func goleashExit(code int) {
	goleashCheck(code)
	goleashos.Exit(code)
}

func goleashCheck(code int) {
	goleashOnce.Do(func() { goleashWrite(code) })
}

func goleashWrite(code int) {
	dir := goleashos.Getenv("GOLEASH_TEST_OUT")
	if dir == "" || goleashBefore == nil {
		return // not run by goleash
	}
	settle, err := goleashstrconv.ParseFloat(goleashos.Getenv("GOLEASH_TEST_SETTLE"), 64)
	if err != nil || settle < 0 {
		settle = 5
	}
	start := goleashtime.Now()
	deadline := start.Add(goleashtime.Duration(settle * float64(goleashtime.Second)))
	leakProfile := goleashpprof.Lookup("goroutineleak")
	var dump []byte
	var last map[uint64]string
	lastChange := start
	wait := goleashtime.Millisecond
	var reason string
	self := goleashSelf()
	for polls := 0; ; polls++ {
		if leakProfile != nil && polls == 0 {
			// One leak-detection GC marks every goroutine that can never run again; the
			// mark stays, so later plain stacks show it too.
			var b goleashbytes.Buffer
			_ = leakProfile.WriteTo(&b, 2)
		}
		dump = goleashStacks()
		now := goleashtime.Now()
		states, others := goleashNew(dump, self)
		pending, busy := 0, others
		for _, s := range states {
			if !goleashbytes.Contains([]byte(s), []byte("(leaked)")) {
				pending++
				busy = busy || goleashBusy(s)
			}
		}
		if len(states) > 0 && pending == 0 {
			reason = "leak-profile"
			break
		}
		if !goleashSame(states, last) || polls == 0 {
			last, lastChange = states, now
		} else if len(states) == 0 && !busy {
			// Nothing new, and nothing that could still start something.
			reason = "clean"
			break
		} else if now.Sub(lastChange) >= goleashQuiet(lastChange.Sub(start)) {
			// Unchanged for long enough. Goroutines that keep running are judged here too,
			// so a busy loop cannot hold the check until the deadline.
			reason = "stable"
			if len(states) == 0 {
				reason = "clean"
			}
			break
		}
		if now.After(deadline) {
			reason = "deadline"
			if len(states) == 0 {
				reason = "clean"
			}
			break
		}
		goleashruntime.Gosched()
		goleashtime.Sleep(wait)
		if wait < 50*goleashtime.Millisecond {
			wait *= 2
		}
	}
	elapsed := goleashtime.Since(start)

	var out goleashbytes.Buffer
	out.WriteString("goleash-test 1\n")
	out.WriteString("go " + goleashruntime.Version() + "\n")
	out.WriteString("exit " + goleashstrconv.Itoa(code) + "\n")
	out.WriteString("settle " + goleashstrconv.FormatFloat(elapsed.Seconds(), 'f', 3, 64) +
		" " + reason + "\n")
	if leakProfile != nil {
		out.WriteString("leakprofile 1\n")
	} else {
		out.WriteString("leakprofile 0\n")
	}
	out.WriteString("before " + goleashstrconv.Itoa(len(goleashBefore)) + "\n")
	out.WriteString("main " + goleashstrconv.FormatUint(goleashMain, 10) + "\n")
	goids, names := goleashtesting.GoleashTests()
	for i, name := range names {
		out.WriteString("test " + goleashstrconv.Itoa(i+1) + " " +
			goleashstrconv.FormatUint(goids[i], 10) + " " +
			goleashhex.EncodeToString([]byte(name)) + "\n")
	}
	out.WriteString("== traceback\n")
	for _, rec := range goleashRecords(dump) {
		if id, ok := goleashID(rec); ok && !goleashBefore[id] {
			out.Write(rec)
			out.WriteString("\n\n")
		}
	}
	// The goroutine profile carries pprof labels on every Go version; tracebacks print them
	// only from Go 1.26 on. Only records of goroutines a test started are kept.
	out.WriteString("== debug1\n")
	var profile goleashbytes.Buffer
	_ = goleashpprof.Lookup("goroutine").WriteTo(&profile, 1)
	for _, rec := range goleashbytes.Split(profile.Bytes(), []byte("\n\n")) {
		if goleashbytes.Contains(rec, []byte(`"goleash.test":`)) {
			out.Write(goleashbytes.TrimRight(rec, "\n"))
			out.WriteString("\n\n")
		}
	}
	name := dir + "/" + goleashKey + "-" + goleashstrconv.Itoa(goleashos.Getpid()) + ".txt"
	if err := goleashos.WriteFile(name, out.Bytes(), 0o600); err != nil {
		goleashos.Stderr.WriteString("goleash: cannot write " + name + ": " + err.Error() + "\n")
	}
}

// goleashQuiet is how long the goroutines left must stay unchanged to count as settled: longer
// when they were still finishing late (a loaded machine), never less than 100 ms.
func goleashQuiet(sinceStart goleashtime.Duration) goleashtime.Duration {
	return 100*goleashtime.Millisecond + sinceStart/2
}

func goleashStacks() []byte {
	buf := make([]byte, 1<<16)
	for {
		n := goleashruntime.Stack(buf, true)
		if n < len(buf) {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

func goleashRecords(dump []byte) [][]byte {
	var recs [][]byte
	for _, rec := range goleashbytes.Split(dump, []byte("\n\n")) {
		rec = goleashbytes.Trim(rec, "\n")
		if goleashbytes.HasPrefix(rec, []byte("goroutine ")) {
			recs = append(recs, rec)
		}
	}
	return recs
}

// goleashID reads the id from a record's header: "goroutine 12 [chan send]:".
func goleashID(rec []byte) (uint64, bool) {
	rest := rec[len("goroutine "):]
	end := goleashbytes.IndexByte(rest, ' ')
	if end < 0 {
		return 0, false
	}
	id, err := goleashstrconv.ParseUint(string(rest[:end]), 10, 64)
	return id, err == nil
}

// goleashState reads the state between the brackets of a record's header.
func goleashState(rec []byte) string {
	line := rec
	if nl := goleashbytes.IndexByte(rec, '\n'); nl >= 0 {
		line = rec[:nl]
	}
	open := goleashbytes.IndexByte(line, '[')
	end := goleashbytes.LastIndexByte(line, ']')
	if open < 0 || end < open {
		return ""
	}
	return string(line[open+1 : end])
}

func goleashIDs(dump []byte) map[uint64]bool {
	ids := map[uint64]bool{}
	for _, rec := range goleashRecords(dump) {
		if id, ok := goleashID(rec); ok {
			ids[id] = true
		}
	}
	return ids
}

// goleashNew maps each goroutine started since TestMain began to its state, and says whether
// any older goroutine (but the caller) is running: it may be about to start a new one.
func goleashNew(dump []byte, self uint64) (map[uint64]string, bool) {
	states := map[uint64]string{}
	busy := false
	for _, rec := range goleashRecords(dump) {
		id, ok := goleashID(rec)
		switch {
		case !ok || id == self:
		case !goleashBefore[id]:
			states[id] = goleashState(rec)
		default:
			busy = busy || goleashBusy(goleashState(rec))
		}
	}
	return states, busy
}

func goleashBusy(state string) bool {
	return state == "running" || state == "runnable" || goleashbytes.HasPrefix([]byte(state), []byte("running "))
}

// goleashSelf is the id of the calling goroutine.
func goleashSelf() uint64 {
	var buf [64]byte
	id, _ := goleashID(buf[:goleashruntime.Stack(buf[:], false)])
	return id
}

func goleashSame(a, b map[uint64]string) bool {
	if len(a) != len(b) {
		return false
	}
	for id, s := range a {
		if t, ok := b[id]; !ok || t != s {
			return false
		}
	}
	return true
}
