package main

import (
	"net/http"
	"sync"
)

// cond-never-signalled: an export job starts a goroutine that waits on a condition variable
// until the job is ready. The handler's validation-failure path returns without Broadcast, so
// the waiter sleeps on the Cond forever.

type exportJob struct {
	mu    sync.Mutex
	cond  *sync.Cond
	ready bool
	rows  int
}

func newExportJob() *exportJob {
	j := &exportJob{}
	j.cond = sync.NewCond(&j.mu)
	return j
}

func (j *exportJob) uploadWhenReady() {
	j.mu.Lock()
	for !j.ready {
		j.cond.Wait() // LEAK: blocks here
	}
	j.mu.Unlock()
}

func handleExport(w http.ResponseWriter, r *http.Request) {
	job := newExportJob()
	go job.uploadWhenReady() // LEAK: started here
	if r.URL.Query().Get("format") != "csv" {
		http.Error(w, "unsupported format", http.StatusBadRequest)
		return // no Broadcast on this path
	}
	job.mu.Lock()
	job.ready, job.rows = true, 10
	job.cond.Broadcast()
	job.mu.Unlock()
}

func init() {
	register("cond-never-signalled", scenario{
		start: func(s *service) { s.handle("/export", handleExport) },
		traffic: func(s *service) {
			for i := 0; i < s.n; i++ {
				s.get("/export?format=xlsx")
			}
		},
	})
}
