// fleet simulates many services in one process, for benchmarks/watch_scale.py: it serves
// net/http/pprof on -ports loopback ports (each port one "endpoint" a watch polls) and parks
// -goroutines goroutines spread over -stacks distinct stacks, as a service's pools and
// connections would be. With -ports 1 -goroutines 100000 it is the big service whose cost per
// debug=1 and debug=2 poll the benchmark measures.
//
// It prints one base URL per line, then "ready".
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
)

var block = make(chan struct{})

// Distinct call depths make distinct stacks: depth d parks at the bottom of d nested calls.
func park(depth int) {
	if depth > 0 {
		park(depth - 1)
		return
	}
	<-block
}

func main() {
	ports := flag.Int("ports", 1, "loopback ports to serve pprof on")
	goroutines := flag.Int("goroutines", 200, "goroutines to park")
	stacks := flag.Int("stacks", 20, "distinct stacks the parked goroutines are spread over")
	flag.Parse()
	for i := 0; i < *goroutines; i++ {
		go park(i % *stacks)
	}
	for i := 0; i < *ports; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("http://%s\n", ln.Addr())
		go http.Serve(ln, nil)
	}
	fmt.Println("ready")
	select {}
}
