package signal_notify_unbuffered

import (
	"context"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// serve waits for SIGTERM on an unbuffered channel: a signal sent during startup is lost.
func serve(srv *http.Server) error {
	stop := make(chan os.Signal)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt) // want "signal-notify-unbuffered"
	go func() {
		if err := srv.ListenAndServe(); err != http.ErrServerClosed {
			log.Print(err)
		}
	}()
	<-stop
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(ctx)
}

// A var declaration.
func waitForHangup(reload func()) {
	var hup = make(chan os.Signal)
	signal.Notify(hup, syscall.SIGHUP) // want "signal-notify-unbuffered"
	for range hup {
		reload()
	}
}

// A channel made at file level.
var quit = make(chan os.Signal)

func watchQuit(onQuit func()) {
	signal.Notify(quit, syscall.SIGQUIT) // want "signal-notify-unbuffered"
	<-quit
	onQuit()
}

// An inline channel that nobody can even receive from in time.
func ignoreUntilReady(ready <-chan struct{}) {
	signal.Notify(make(chan os.Signal), syscall.SIGUSR1) // want "signal-notify-unbuffered"
	<-ready
}

// Buffered: fine.
func serveBuffered(srv *http.Server) error {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	go func() { _ = srv.ListenAndServe() }()
	<-stop
	return srv.Close()
}

// A bigger buffer for several signals.
func multi(handle func(os.Signal)) {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	for s := range sigs {
		handle(s)
	}
}

// A channel passed in: not judged here.
func register(ch chan<- os.Signal) {
	signal.Notify(ch, syscall.SIGUSR2)
}

// NotifyContext has no channel to get wrong.
func runUntilSignal(work func(context.Context) error) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return work(ctx)
}
