package multisource_test

import (
	"bytes"
	"crypto/sha256"
	"sync"
	"testing"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/multisource"
)

// TestSpreadWithinClientAssignments: a client that takes one outstanding
// assignment per secondary path. The primary knows the bound (its own
// Config.MaxAssignments, or the client's as its CLIENT_HELLO announces it),
// so Spread never asks the secondary for a piece the client would refuse:
// no assignment is refused, the honest secondary is never closed, and it
// still delivers its share. Before, Spread handed the secondary two pieces
// at once, the client refused the second, the secondary wrote it anyway
// and the client closed the path for writing outside an assignment; with
// the bound only on the client's side, that happened until the handshake
// carried it.
func TestSpreadWithinClientAssignments(t *testing.T) {
	t.Run("both sides bound", func(t *testing.T) { testSpreadWithinClientAssignments(t, 1) })
	t.Run("only the client bound", func(t *testing.T) { testSpreadWithinClientAssignments(t, 0) })
}

func testSpreadWithinClientAssignments(t *testing.T, primaryMax int) {
	ctx := testContext(t, 60*time.Second)
	const size = 2 << 20
	object := payload(5, size)
	conf := &kwik.Config{ServerGroupKey: groupKey, MaxIdleTimeout: healthyIdle, MaxAssignments: primaryMax}
	primary, secondary := listen(t, conf), listen(t, conf)
	primaryAddr := emulatedLink(t, ctx, primary, 8e6).Addr().String()
	secondaryAddr := emulatedLink(t, ctx, secondary, 32e6).Addr().String()
	var wg sync.WaitGroup
	wg.Go(func() { serveObject(ctx, secondary, object) })

	type outcome struct {
		err       error
		refused   []kwik.PieceEvent
		path      kwik.PathInfo
		delivered uint64
	}
	done := make(chan outcome, 1)
	go func() {
		var o outcome
		defer func() { done <- o }()
		sess, str, paths, err := acceptWithPaths(ctx, primary, testPin, secondaryAddr)
		if err != nil {
			o.err = err
			return
		}
		defer sess.CloseWithError(0, "")
		path := paths[0]
		o.err = multisource.Spread(ctx, sess, str, "object", bytes.NewReader(object), size, &multisource.Config{PieceSize: 64 << 10})
		if o.err == nil {
			o.err = str.CloseWithSize(size)
		}
		counts, _ := sess.Deliveries(uint64(str.StreamID()))
		o.delivered = counts[path.ID]
		for _, p := range sess.AllPaths() {
			if p.ID == path.ID {
				o.path = p
			}
		}
		for drained := false; !drained; {
			select {
			case ev := <-sess.Events():
				if pe, ok := ev.(kwik.PieceEvent); ok && pe.Reason == kwik.PieceRefused {
					o.refused = append(o.refused, pe)
				}
			default:
				drained = true
			}
		}
		<-sess.Context().Done()
	}()

	client, err := kwik.Dial(ctx, primaryAddr, testTLS.Client, &kwik.Config{MaxIdleTimeout: healthyIdle, MaxAssignments: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		client.CloseWithError(0, "")
		wg.Wait()
	})
	sum, n, err := fetch(ctx, client, 0, nil)
	if err != nil || n != size || sum != sha256.Sum256(object) {
		t.Fatalf("client read %d bytes, %v; SHA-256 matches: %v", n, err, sum == sha256.Sum256(object))
	}
	for _, p := range client.AllPaths() {
		if !p.Primary && p.State != kwik.PathActive && p.State != kwik.PathDegraded {
			t.Errorf("the client sees the honest secondary as %v (%v), want it open", p.State, p.Err)
		}
	}
	client.CloseWithError(0, "")
	o := <-done
	if o.err != nil {
		t.Fatalf("primary: %v", o.err)
	}
	if len(o.refused) > 0 {
		t.Errorf("the client refused %d assignments (first %+v); the primary should have known", len(o.refused), o.refused[0])
	}
	if o.path.State.Terminal() && o.path.State != kwik.PathRemoved {
		t.Errorf("the primary sees the honest secondary as %v (%v)", o.path.State, o.path.Err)
	}
	if o.delivered == 0 {
		t.Error("the secondary delivered nothing: Spread should still use it, one piece at a time")
	}
	t.Logf("secondary delivered %d of %d bytes", o.delivered, size)
}
