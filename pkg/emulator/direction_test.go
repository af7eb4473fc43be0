package emulator

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestDirectionDrainWhileReleasing drains the delay line while the release
// goroutine sleeps on its head packet, then refills it from the pool, as a
// Kill during a transfer does. The release goroutine must not touch a packet
// after drain freed it (the race detector reports it if it does), and every
// packet must be either released or drained exactly once.
func TestDirectionDrainWhileReleasing(t *testing.T) {
	var killed atomic.Bool
	var released atomic.Int64
	d := newDirection("up", newShaper(params{delay: time.Hour}, 1, 0),
		func() time.Duration { return 0 }, // a stopped clock: nothing falls due
		func(*packet) error { released.Add(1); return nil },
		&killed, slog.New(slog.DiscardHandler))
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { d.run(done) })
	defer func() { close(done); wg.Wait() }()

	data := make([]byte, 100)
	var drained, sent int64
	for range 2000 {
		// Packets an hour away: the release goroutine peeks at the head and
		// sleeps on a timer for it.
		for range 4 {
			d.enqueue(newPacket(data, nil), 0)
			sent++
		}
		drained += int64(d.drain())
	}
	if drained != sent || released.Load() != 0 {
		t.Fatalf("sent %d packets due in an hour: %d drained, %d released; want all drained", sent, drained, released.Load())
	}
}
