package multisource

import (
	"context"
	"errors"
	"testing"

	"github.com/kwik-transport/kwik/internal/scheduler"
)

// TestRelayQueueBounded: a relay source queues at most maxQueuedPieces
// ranges for its worker; the next Send is refused (the Distributor takes
// the range back) rather than grow the queue or block the Distributor.
func TestRelayQueueBounded(t *testing.T) {
	s := &relaySource{pathID: 1, queue: make(chan scheduler.Range, maxQueuedPieces)}
	for i := range uint64(maxQueuedPieces) {
		if err := s.Send(context.Background(), scheduler.Range{Start: i, End: i + 1}); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	err := s.Send(context.Background(), scheduler.Range{Start: maxQueuedPieces, End: maxQueuedPieces + 1})
	if !errors.Is(err, scheduler.ErrRefused) {
		t.Fatalf("Send beyond %d queued = %v, want scheduler.ErrRefused", maxQueuedPieces, err)
	}
	if len(s.queue) != maxQueuedPieces {
		t.Fatalf("queue holds %d", len(s.queue))
	}
}
