package main

import (
	"fmt"
	"net/http"
	"strings"
)

// worker-pool (clean): a fixed pool of eight workers started once at start-up. Between
// requests the workers wait for jobs: idle, not leaked.

type resizeJob struct {
	name   string
	result chan string
}

type workerPool struct{ jobs chan resizeJob }

func (p *workerPool) work() {
	for j := range p.jobs {
		j.result <- strings.ToUpper(j.name)
	}
}

func init() {
	register("worker-pool", scenario{
		start: func(s *service) {
			pool := &workerPool{jobs: make(chan resizeJob)}
			for i := 0; i < 8; i++ {
				go pool.work()
			}
			s.handle("/resize", func(w http.ResponseWriter, r *http.Request) {
				j := resizeJob{name: r.URL.Query().Get("img"), result: make(chan string, 1)}
				pool.jobs <- j
				fmt.Fprintln(w, <-j.result)
			})
		},
		traffic: func(s *service) {
			for i := 0; i < s.n; i++ {
				s.get("/resize?img=cat.png")
			}
		},
	})
}
