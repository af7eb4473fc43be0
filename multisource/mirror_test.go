package multisource_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/multisource"
)

// lyingContent serves an object but corrupts what it reads: every read
// when all is set, else only the first one (a piece partly right).
type lyingContent struct {
	object []byte
	all    bool
	mu     sync.Mutex
	lied   int
}

func (l *lyingContent) ReadAt(p []byte, off int64) (int, error) {
	n := copy(p, l.object[off:])
	l.mu.Lock()
	lie := l.all || l.lied == 0
	if lie {
		l.lied++
	}
	l.mu.Unlock()
	if lie {
		for i := range p[:n] {
			p[i] ^= 0xff
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// TestCompromisedMirrorSpread: Spread over an honest secondary and one whose
// content lies. The client reads the whole object unaltered, Spread returns
// nil, the liar's pieces are reported (naming its path) and sent again
// elsewhere; a liar that corrupts every piece is removed after
// DefaultMaxBadPieces of them.
func TestCompromisedMirrorSpread(t *testing.T) {
	for _, all := range []bool{false, true} {
		t.Run(fmt.Sprintf("every piece %v", all), func(t *testing.T) {
			testLyingMirror(t, all)
		})
	}
}

func testLyingMirror(t *testing.T, all bool) {
	ctx := testContext(t, 60*time.Second)
	const size = 4 << 20
	object := payload(7, size)
	conf := &kwik.Config{ServerGroupKey: groupKey}
	primary := listen(t, conf)
	honest, liar := listen(t, conf), listen(t, conf)
	var wg sync.WaitGroup
	wg.Go(func() { serveObject(ctx, honest, object) })
	wg.Go(func() {
		sess, err := liar.Accept(ctx)
		if err != nil {
			return
		}
		defer sess.CloseWithError(0, "")
		lie := &lyingContent{object: object, all: all}
		multisource.ServeRanges(ctx, sess, func(string) (io.ReaderAt, error) { return lie, nil })
	})

	type outcome struct {
		err     error
		liarID  uint64
		pieces  []kwik.PieceEvent
		removed bool
		stats   multisource.Stats
	}
	done := make(chan outcome, 1)
	go func() {
		var o outcome
		defer func() { done <- o }()
		sess, str, paths, err := acceptWithPaths(ctx, primary, nil, honest.Addr().String(), liar.Addr().String())
		if err != nil {
			o.err = err
			return
		}
		defer sess.CloseWithError(0, "")
		o.liarID = paths[1].ID
		o.err = multisource.Spread(ctx, sess, str, "object", bytes.NewReader(object), size,
			&multisource.Config{OnStats: func(s multisource.Stats) { o.stats = s }})
		if o.err == nil {
			o.err = str.CloseWithSize(size)
		}
		for {
			select {
			case ev := <-sess.Events():
				switch ev := ev.(type) {
				case kwik.PieceEvent:
					o.pieces = append(o.pieces, ev)
				case kwik.PathEvent:
					if ev.Path.ID == o.liarID && ev.Path.State == kwik.PathRemoved {
						o.removed = true
					}
				}
				continue
			default:
			}
			break
		}
		<-sess.Context().Done()
	}()

	client, err := kwik.Dial(ctx, primary.Addr().String(), testTLS.Client, nil)
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
	client.CloseWithError(0, "")
	o := <-done
	if o.err != nil {
		t.Fatalf("primary: %v", o.err)
	}
	if len(o.pieces) == 0 {
		t.Fatal("no piece failure reported: the liar was never caught")
	}
	for _, pe := range o.pieces {
		if pe.PathID != o.liarID || pe.Reason != kwik.PieceCorrupt {
			t.Fatalf("piece event %+v; want corrupt pieces of the liar, path %d", pe, o.liarID)
		}
	}
	if !all && len(o.pieces) != 1 {
		t.Fatalf("%d pieces reported for a liar that corrupted one read", len(o.pieces))
	}
	checkLiarStats(t, o.stats, o.liarID, len(o.pieces), o.removed)
	if all && (!o.removed || len(o.pieces) < multisource.DefaultMaxBadPieces) {
		t.Fatalf("liar corrupting everything: %d bad pieces, removed %v; want it removed after %d", len(o.pieces), o.removed, multisource.DefaultMaxBadPieces)
	}
}

// checkLiarStats: Spread's statistics name the liar's verification
// failures and whether it was removed. (A corrupt piece is not always
// re-sent: another path's copy may complete it first.)
func checkLiarStats(t *testing.T, s multisource.Stats, liar uint64, corrupt int, removed bool) {
	t.Helper()
	found := false
	for _, p := range s.Paths {
		if p.PathID != liar {
			if p.CorruptPieces != 0 || p.Removed {
				t.Errorf("honest path %d: %d corrupt pieces, removed %v", p.PathID, p.CorruptPieces, p.Removed)
			}
			continue
		}
		found = true
		if p.CorruptPieces != corrupt || p.Removed != removed {
			t.Errorf("Stats name %d corrupt pieces of the liar, removed %v; the events said %d, %v", p.CorruptPieces, p.Removed, corrupt, removed)
		}
	}
	if !found {
		t.Fatalf("Stats have no entry for the liar's path %d: %+v", liar, s)
	}
	if s.CompleteBytes != s.Size || s.Size == 0 {
		t.Errorf("Stats: %d of %d bytes complete", s.CompleteBytes, s.Size)
	}
}
