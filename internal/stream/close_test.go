package stream

import (
	"errors"
	"fmt"
	"testing"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/wire"
)

// checkClosedAt checks that the data frames cover [0, final) in order,
// exactly once, and that one empty FIN at final was sent (before or after
// a frame already being sent when Close was called: the lane orders them
// either way, and the peer accepts bytes below the final size after FIN).
func checkClosedAt(t *testing.T, frames []sentFrame, final uint64) {
	t.Helper()
	var next uint64
	fins := 0
	for i, f := range frames {
		switch {
		case f.hdr.Fin:
			fins++
			if f.hdr.Offset != final || f.hdr.Length != 0 {
				t.Fatalf("FIN %+v, want an empty FIN at %d", f.hdr, final)
			}
		case f.hdr.Offset != next:
			t.Fatalf("frame %d %+v after %d bytes", i, f.hdr, next)
		default:
			next += uint64(f.hdr.Length)
		}
	}
	if fins != 1 || next != final {
		t.Fatalf("%d FIN frames, data frames end at %d; want one FIN at %d", fins, next, final)
	}
}

// TestCloseDoesNotWaitForBlockedWrite: a Write waiting for credit does not
// hold Close back; Close ends the stream after the accepted bytes and the
// Write returns them with ErrWriteClosed (quic.ErrStreamClosed).
func TestCloseDoesNotWaitForBlockedWrite(t *testing.T) {
	s := newStreamSetup(t, 5, 0, false)
	w := async(func() (int, error) { return s.str.Write([]byte("0123456789")) })
	s.ctrl.next(t) // blocked after 5 bytes
	c := async(func() (int, error) { return 0, s.str.Close() })
	if r := wait(t, c); r.err != nil {
		t.Fatalf("Close during a blocked Write: %v", r.err)
	}
	r := wait(t, w)
	if r.n != 5 || !errors.Is(r.err, ErrWriteClosed) || !errors.Is(r.err, quic.ErrStreamClosed) {
		t.Fatalf("blocked Write after Close = %d, %v; want 5, the stream was closed", r.n, r.err)
	}
	checkClosedAt(t, s.data.sent(), 5)
	if n, err := s.str.Write([]byte("x")); n != 0 || !errors.Is(err, quic.ErrStreamClosed) {
		t.Fatalf("Write after Close = %d, %v", n, err)
	}
}

// TestCloseDuringFrame: Close while a Write's frame is being sent counts
// that frame in the final size, without waiting for it.
func TestCloseDuringFrame(t *testing.T) {
	s := newStreamSetup(t, 1<<20, 10, false)
	s.data.gate, s.data.waiting = make(chan struct{}), make(chan struct{}, 16)
	w := async(func() (int, error) { return s.str.Write(make([]byte, 100)) })
	<-s.data.waiting // the first frame waits for its lane
	c := async(func() (int, error) { return 0, s.str.Close() })
	if r := wait(t, c); r.err != nil {
		t.Fatalf("Close during a frame: %v", r.err)
	}
	close(s.data.gate)
	if r := wait(t, w); r.n != 10 || !errors.Is(r.err, ErrWriteClosed) {
		t.Fatalf("Write = %d, %v; want the 10 bytes of its frame, the stream was closed", r.n, r.err)
	}
	checkClosedAt(t, s.data.sent(), 10)
}

// TestCloseConcurrentWithWrite: however Close and a Write interleave,
// Close returns nil and the final size is exactly what Write reports sent.
func TestCloseConcurrentWithWrite(t *testing.T) {
	for i := range 50 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			s := newStreamSetup(t, 1<<20, 64, false)
			total := make(chan result, 1)
			started := make(chan struct{})
			go func() {
				var n int
				for k := 0; ; k++ {
					if k == i {
						close(started)
					}
					m, err := s.str.Write(make([]byte, 1000))
					n += m
					if err != nil {
						total <- result{n, err}
						return
					}
				}
			}()
			<-started
			err := s.str.Close()
			if err != nil {
				s.str.CancelWrite(0) // stop the writer
			}
			r := <-total // the Write has returned: every frame it started is sent
			if err != nil {
				t.Fatalf("Close concurrent with Write: %v", err)
			}
			if !errors.Is(r.err, ErrWriteClosed) {
				t.Fatalf("Write after Close: %v", r.err)
			}
			n := uint64(r.n)
			checkClosedAt(t, s.data.sent(), n)
		})
	}
}

// TestCloseAfterSessionEnd: like quic-go's, Close after the session closed
// is a no-op that returns nil; after CancelWrite it returns the error.
func TestCloseAfterSessionEnd(t *testing.T) {
	s := newStreamSetup(t, 10, 0, false)
	s.ctl.Shutdown(errors.New("session gone"))
	if err := s.str.Close(); err != nil {
		t.Fatalf("Close after the session closed: %v", err)
	}
	s = newStreamSetup(t, 10, 0, false)
	s.str.CancelWrite(3)
	var serr *quic.StreamError
	if err := s.str.Close(); !errors.As(err, &serr) || serr.ErrorCode != 3 {
		t.Fatalf("Close after CancelWrite: %v", err)
	}
}

// TestWriteAfterCloseAndComplete: Write after Close fails the same way
// before and after the peer says it has every byte (STOP_SENDING NoError).
func TestWriteAfterCloseAndComplete(t *testing.T) {
	s := newStreamSetup(t, 10, 0, false)
	s.str.Write([]byte("hello"))
	if err := s.str.Close(); err != nil {
		t.Fatal(err)
	}
	s.ctl.HandleStopSending(wire.NoError, "")
	if n, err := s.str.Write([]byte("x")); n != 0 || !errors.Is(err, ErrWriteClosed) {
		t.Fatalf("Write after Close, the peer having everything = %d, %v", n, err)
	}
	if n, err := s.str.WriteAt([]byte("x"), 0); n != 1 || err != nil {
		t.Fatalf("WriteAt below the final size, the peer having everything = %d, %v; want 1, nil (moot)", n, err)
	}
}
