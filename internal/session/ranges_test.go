package session

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestRangesAnswererRate: requests are answered in order, rangesBurst at
// once and then one per rangesInterval; more than maxRangesWaiting waiting
// is a protocol violation.
func TestRangesAnswererRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var answered []uint64
		a := newRangesAnswerer(func(requestID, streamID uint64) {
			mu.Lock()
			answered = append(answered, requestID)
			mu.Unlock()
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { a.run(ctx); close(done) }()
		count := func() int {
			mu.Lock()
			defer mu.Unlock()
			return len(answered)
		}
		for i := range uint64(maxRangesWaiting) {
			if err := a.request(i+1, 4); err != nil {
				t.Fatalf("request %d: %v", i+1, err)
			}
		}
		synctest.Wait()
		// The answerer took one from the queue and waits for a token, or
		// none is waiting: the queue has room for at most burst+1 more.
		if got := count(); got != rangesBurst {
			t.Fatalf("%d answered at once, want %d", got, rangesBurst)
		}
		time.Sleep(10 * rangesInterval)
		synctest.Wait()
		if got := count(); got != rangesBurst+10 {
			t.Fatalf("%d answered after 10 intervals, want %d", got, rangesBurst+10)
		}
		// Fill the queue again: one request too many is refused.
		var err error
		for i := 0; err == nil && i < 2*maxRangesWaiting; i++ {
			err = a.request(1000, 4)
		}
		var cerr *ConnectionError
		if !errors.As(err, &cerr) || cerr.Code != 2 {
			t.Fatalf("flood of requests: %v, want a protocol violation", err)
		}
		mu.Lock()
		for i, id := range answered {
			if id != uint64(i+1) {
				t.Fatalf("answer %d is for request %d: out of order", i, id)
			}
		}
		mu.Unlock()
		if a.allow() {
			t.Fatal("an unsolicited report was allowed while the budget is spent")
		}
		cancel()
		<-done
	})
}
