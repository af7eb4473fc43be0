package session

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/certs"
)

// TestAcceptorsFollowAdmissions: acceptors start as connections are
// admitted, up to the bound, and retire as they are accepted or end before;
// an idle pool holds one.
func TestAcceptorsFollowAdmissions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		handed := make(chan *admitted)
		accept := func(ctx context.Context) (*quic.Conn, *admitted, error) {
			select {
			case a := <-handed:
				return nil, a, nil
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			}
		}
		p := newAcceptors(ctx, &wg, 8, func(*quic.Conn) {})
		p.start(accept)
		expect := func(when string, want int) {
			t.Helper()
			synctest.Wait()
			if n := p.count(); n != want {
				t.Fatalf("%s: %d acceptors, want %d", when, n, want)
			}
		}
		expect("idle", 1)
		var tickets []*admitted
		var ends []context.CancelFunc
		for range 20 {
			tctx, end := context.WithCancel(ctx)
			tk := &admitted{}
			p.admitted(tk, tctx)
			tickets, ends = append(tickets, tk), append(ends, end)
		}
		expect("20 admitted", 8)
		for _, tk := range tickets[:5] {
			handed <- tk
		}
		expect("5 accepted, 15 pending", 8)
		for _, end := range ends[5:15] {
			end()
		}
		expect("10 ended before they were accepted, 5 pending", 5)
		for _, tk := range tickets[15:] {
			handed <- tk
		}
		expect("all accepted", 1)
		for _, end := range ends[:5] {
			end() // accepted connections ending later change nothing
		}
		expect("accepted connections ended", 1)
		cancel()
		p.close()
		wg.Wait()
		if n := p.count(); n != 0 {
			t.Fatalf("%d acceptors after the listener closed", n)
		}
	})
}

// TestIdleListenerGoroutines: a listener waiting for clients holds one
// acceptor, not one per handshake it might have to take at once (225
// goroutines with the default limits before), and is back to one after a
// burst of sessions.
func TestIdleListenerGoroutines(t *testing.T) {
	pair, err := certs.NewPair()
	if err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	ln, err := Listen("127.0.0.1:0", pair.Server, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// quic-go's transport and server run 3 goroutines; the listener adds its
	// acceptor.
	t.Logf("an idle listener runs %d goroutines", runtime.NumGoroutine()-before)
	if n := runtime.NumGoroutine() - before; n > 6 {
		t.Fatalf("an idle listener runs %d goroutines, want at most 6", n)
	}
	if n := ln.accept.count(); n != 1 {
		t.Fatalf("an idle listener runs %d acceptors, want 1", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	accepted := make(chan []*Session)
	go func() {
		var all []*Session
		for {
			s, err := ln.Accept(ctx)
			if err != nil {
				accepted <- all
				return
			}
			all = append(all, s)
		}
	}()
	defer func() {
		cancel()
		for _, s := range <-accepted {
			s.CloseWithError(0, "")
		}
	}()
	const burst = 20
	var wg sync.WaitGroup
	errs := make(chan error, burst)
	for range burst {
		wg.Go(func() {
			s, err := Dial(ctx, ln.Addr().String(), pair.Client, &Config{MaxIdleTimeout: 30 * time.Second})
			if err != nil {
				errs <- err
				return
			}
			s.CloseWithError(0, "")
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Every client's session was accepted before its Dial returned.
	if n := ln.accept.count(); n != 1 {
		t.Fatalf("after a burst of %d sessions: %d acceptors, want 1", burst, n)
	}
}
