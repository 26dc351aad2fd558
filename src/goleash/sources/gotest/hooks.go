// goleash adds this file to package testing through `go test -overlay` (the tree on disk is
// never touched). tRunner, which runs every test and subtest in its own goroutine, calls
// goleashEnter first; the pprof label it sets is inherited by every goroutine the test starts,
// so each goroutine still alive after the tests names the test that started it.

package testing

import (
	goleashcontext "context"
	goleashpprof "runtime/pprof"
	goleashruntime "runtime"
	goleashstrconv "strconv"
	goleashsync "sync"
)

type goleashTest struct {
	goid uint64
	name string
}

var (
	goleashMu    goleashsync.Mutex
	goleashTests []goleashTest
)

// goleashEnter labels the calling test goroutine with the test's number (a short bare value,
// so that tracebacks print it unquoted) and records which goroutine runs which test.
func goleashEnter(t *T) {
	if t.name == "" {
		return // the root runner on the main goroutine, not a test
	}
	goid := goleashGoid()
	goleashMu.Lock()
	goleashTests = append(goleashTests, goleashTest{goid, t.name})
	id := len(goleashTests)
	goleashMu.Unlock()
	labels := goleashpprof.Labels("goleash.test", goleashstrconv.Itoa(id))
	goleashpprof.SetGoroutineLabels(goleashpprof.WithLabels(goleashcontext.Background(), labels))
}

// GoleashTests lists the tests run so far: the goroutine each ran in and its full name. The
// label value of a test is its index in these lists plus one.
func GoleashTests() (goids []uint64, names []string) {
	goleashMu.Lock()
	defer goleashMu.Unlock()
	for _, t := range goleashTests {
		goids = append(goids, t.goid)
		names = append(names, t.name)
	}
	return goids, names
}

// goleashGoid reads the calling goroutine's id from the first line of its own stack.
func goleashGoid() uint64 {
	var buf [64]byte
	b := buf[:goleashruntime.Stack(buf[:], false)]
	const prefix = "goroutine "
	var id uint64
	for i := len(prefix); i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		id = id*10 + uint64(b[i]-'0')
	}
	return id
}
