package stream

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/wire"
)

// checkFrames checks that frames carry want contiguously from offset 0,
// each at most max bytes.
func checkFrames(t *testing.T, frames []sentFrame, want string, max int) {
	t.Helper()
	var got strings.Builder
	for i, f := range frames {
		if f.hdr.StreamID != testID || f.hdr.Offset != uint64(got.Len()) || f.hdr.Fin {
			t.Fatalf("frame %d: %+v after %d bytes", i, f.hdr, got.Len())
		}
		if f.hdr.Length > max {
			t.Fatalf("frame %d has %d bytes, more than MaxFrameSize %d", i, f.hdr.Length, max)
		}
		got.WriteString(f.payload)
	}
	if got.String() != want {
		t.Fatalf("frames carry %q, want %q", got.String(), want)
	}
}

func TestWriteWithinCredit(t *testing.T) {
	s := newStreamSetup(t, 100, 30, false)
	msg := strings.Repeat("0123456789", 25)
	w := async(func() (int, error) { return s.str.Write([]byte(msg)) })

	// 100 bytes fit the credit; then the writer says where it is stuck.
	f := s.ctrl.next(t)
	if b, ok := f.(*wire.StreamDataBlocked); !ok || b.StreamID != testID || b.Limit != 100 {
		t.Fatalf("sent %#v, want STREAM_DATA_BLOCKED at 100", f)
	}
	checkFrames(t, s.data.sent(), msg[:100], 30)
	s.ctl.UpdateLimit(50) // lower: ignored
	s.ctl.UpdateLimit(1000)
	if r := wait(t, w); r.n != len(msg) || r.err != nil {
		t.Fatalf("Write = %d, %v", r.n, r.err)
	}
	checkFrames(t, s.data.sent(), msg, 30)
	if extra := s.ctrl.sent(); len(extra) != 1 {
		t.Fatalf("control frames %v, want only the one STREAM_DATA_BLOCKED", extra)
	}
}

// TestDefaultFrameTakesABulkWrite: with the default MaxFrameSize, a 64 KiB
// Write within credit is one frame: a frame's costs on both sides are per
// frame, and BenchmarkOnePath's writer writes 64 KiB at a time.
func TestDefaultFrameTakesABulkWrite(t *testing.T) {
	s := newStreamSetup(t, 1<<20, 0, false)
	msg := strings.Repeat("0123456789abcdef", 4<<10)
	if n, err := s.str.Write([]byte(msg)); n != len(msg) || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	f := s.data.sent()
	checkFrames(t, f, msg, DefaultMaxFrameSize)
	if len(f) != 1 {
		t.Fatalf("a %d-byte Write went as %d frames, want 1", len(msg), len(f))
	}
}

func TestBlockedAnnouncedOncePerLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newStreamSetup(t, 10, 0, false)
		s.str.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
		n, err := s.str.Write(make([]byte, 20))
		if n != 10 || !errors.Is(err, errDeadline) {
			t.Fatalf("Write past the credit with a deadline = %d, %v; want 10, deadline exceeded", n, err)
		}
		s.ctrl.next(t)
		s.str.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := s.str.Write([]byte("more")); !errors.Is(err, errDeadline) {
			t.Fatalf("second blocked Write: %v", err)
		}
		if got := s.ctrl.sent(); len(got) != 1 {
			t.Fatalf("%d STREAM_DATA_BLOCKED for one limit, want 1", len(got))
		}
		s.str.SetWriteDeadline(time.Time{})
		w := async(func() (int, error) { return s.str.Write(make([]byte, 30)) })
		s.ctl.UpdateLimit(20)
		if b := s.ctrl.next(t).(*wire.StreamDataBlocked); b.Limit != 20 {
			t.Fatalf("blocked again at %d, want 20", b.Limit)
		}
		s.ctl.UpdateLimit(1 << 20)
		if r := wait(t, w); r.err != nil || r.n != 30 {
			t.Fatalf("Write = %d, %v", r.n, r.err)
		}
	})
}

// TestDataBlocked: a sender holding bytes back announces the limit once per
// value, and not once the peer has everything.
func TestDataBlocked(t *testing.T) {
	s := newStreamSetup(t, 10, 0, false)
	s.ctl.DataBlocked()
	s.ctl.DataBlocked()
	s.ctl.UpdateLimit(20)
	s.ctl.DataBlocked()
	s.ctl.HandleStopSending(wire.NoError, "")
	s.ctl.UpdateLimit(30)
	s.ctl.DataBlocked()
	var limits []uint64
	for _, f := range s.ctrl.sent() {
		if b, ok := f.(*wire.StreamDataBlocked); ok {
			limits = append(limits, b.Limit)
		}
	}
	if !slices.Equal(limits, []uint64{10, 20}) {
		t.Fatalf("STREAM_DATA_BLOCKED sent at %v, want [10 20]", limits)
	}
}

func TestWriteDeadlineWhileBlocked(t *testing.T) {
	s := newStreamSetup(t, 0, 0, false)
	w := async(func() (int, error) { return s.str.Write([]byte("x")) })
	s.ctrl.next(t) // blocked
	s.str.SetWriteDeadline(time.Now().Add(-time.Second))
	r := wait(t, w)
	var nerr interface{ Timeout() bool }
	if r.n != 0 || !errors.As(r.err, &nerr) || !nerr.Timeout() {
		t.Fatalf("Write = %d, %v; want a timeout", r.n, r.err)
	}
}

func TestWriteAt(t *testing.T) {
	s := newStreamSetup(t, 1<<20, 0, false)
	if n, err := s.str.WriteAt([]byte("late"), 10); n != 4 || err != nil {
		t.Fatalf("WriteAt = %d, %v", n, err)
	}
	if _, err := s.str.Write([]byte("early")); err != nil {
		t.Fatal(err)
	}
	frames := s.data.sent()
	if len(frames) != 2 || frames[0].hdr.Offset != 10 || frames[1].hdr.Offset != 0 {
		t.Fatalf("frames %+v: WriteAt moved Write's position", frames)
	}
	for _, tc := range []struct {
		off int64
		n   int
	}{{-1, 1}, {int64(wire.MaxVarint), 1}, {int64(wire.MaxVarint) - 2, 3}} {
		if _, err := s.str.WriteAt(make([]byte, tc.n), tc.off); err == nil || !strings.Contains(err.Error(), "2^62") {
			t.Errorf("WriteAt(%d bytes, %d): %v, want a range error", tc.n, tc.off, err)
		}
	}
}

func TestCloseSendsFinAtEnd(t *testing.T) {
	s := newStreamSetup(t, 1<<20, 0, false)
	s.str.Write([]byte("abc"))
	s.str.WriteAt([]byte("xyz"), 7)
	if err := s.str.Close(); err != nil {
		t.Fatal(err)
	}
	frames := s.data.sent()
	fin := frames[len(frames)-1]
	if !fin.hdr.Fin || fin.hdr.Offset != 10 || fin.hdr.Length != 0 {
		t.Fatalf("last frame %+v, want an empty FIN at 10", fin.hdr)
	}
	if context.Cause(s.str.Context()) != io.EOF {
		t.Fatalf("Context cause %v after Close, want io.EOF", context.Cause(s.str.Context()))
	}
	if _, err := s.str.Write([]byte("d")); !errors.Is(err, quic.ErrStreamClosed) {
		t.Fatalf("Write after Close: %v", err)
	}
	// Below the final size, bytes may still be filled in (a dead
	// secondary's share); past it they may not.
	if _, err := s.str.WriteAt([]byte("fill"), 3); err != nil {
		t.Fatalf("WriteAt below the final size: %v", err)
	}
	if _, err := s.str.WriteAt([]byte("!"), 10); !errors.Is(err, ErrPastFinalSize) {
		t.Fatalf("WriteAt past the final size: %v", err)
	}
	if err := s.str.CloseWithSize(50); err != nil || len(s.data.sent()) != len(frames)+1 {
		t.Fatalf("second close: %v, %d frames (want no second FIN)", err, len(s.data.sent())-len(frames))
	}
}

func TestCloseWithSize(t *testing.T) {
	s := newStreamSetup(t, 100, 0, false)
	s.str.Write(make([]byte, 20))
	for _, size := range []int64{19, -1, int64(wire.MaxVarint) + 1} {
		if err := s.str.CloseWithSize(size); err == nil {
			t.Errorf("CloseWithSize(%d) after 20 bytes: nil error", size)
		}
	}
	// The final size waits for credit: the receiver must have room for it.
	c := async(func() (int, error) { return 0, s.str.CloseWithSize(1000) })
	if b := s.ctrl.next(t).(*wire.StreamDataBlocked); b.Limit != 100 {
		t.Fatalf("blocked at %d, want 100", b.Limit)
	}
	s.ctl.UpdateLimit(1000)
	if r := wait(t, c); r.err != nil {
		t.Fatal(r.err)
	}
	frames := s.data.sent()
	if fin := frames[len(frames)-1].hdr; !fin.Fin || fin.Offset != 1000 {
		t.Fatalf("FIN %+v, want at 1000", fin)
	}
}

func TestWriteOnlyStream(t *testing.T) {
	s := newStreamSetup(t, 1<<20, 0, true)
	if _, err := s.str.Read(make([]byte, 1)); !errors.Is(err, ErrWriteOnly) {
		t.Fatalf("Read: %v", err)
	}
	if err := s.str.CloseWithSize(5); !errors.Is(err, ErrNoFin) {
		t.Fatalf("CloseWithSize: %v", err)
	}
	if _, err := s.str.WriteAt([]byte("data"), 100); err != nil {
		t.Fatal(err)
	}
	if err := s.str.Close(); err != nil {
		t.Fatal(err)
	}
	for _, f := range s.data.sent() {
		if f.hdr.Fin {
			t.Fatal("a secondary's writer sent FIN")
		}
	}
	s.ctl.HandleReset(wire.ApplicationCode(1)) // no receive side: nothing to do
	if s.str.Context().Err() == nil {
		t.Fatal("Context still open after Close")
	}
}

func TestCancelWrite(t *testing.T) {
	s := newStreamSetup(t, 5, 0, false)
	w := async(func() (int, error) { return s.str.Write([]byte("0123456789")) })
	s.ctrl.next(t) // blocked after 5 bytes
	s.str.CancelWrite(7)
	r := wait(t, w)
	var serr *quic.StreamError
	if r.n != 5 || !errors.As(r.err, &serr) || serr.ErrorCode != 7 || serr.Remote {
		t.Fatalf("blocked Write after CancelWrite = %d, %v", r.n, r.err)
	}
	rs, ok := s.ctrl.next(t).(*wire.ResetStream)
	if !ok || rs.ErrorCode != wire.ApplicationCode(7) || rs.FinalSize != 5 || rs.StreamID != testID {
		t.Fatalf("sent %#v, want RESET_STREAM app 7 at 5", rs)
	}
	if _, err := s.str.Write([]byte("x")); !errors.As(err, &serr) {
		t.Fatalf("Write after CancelWrite: %v", err)
	}
	s.str.CancelWrite(8)
	if n := len(s.ctrl.sent()); n != 2 {
		t.Fatalf("%d control frames, want no second RESET_STREAM", n)
	}
}

func TestCancelRead(t *testing.T) {
	s := newStreamSetup(t, 0, 0, false)
	s.deliver(t, 0, "unread", false)
	s.str.CancelRead(9)
	ss, ok := s.ctrl.next(t).(*wire.StopSending)
	if !ok || ss.ErrorCode != wire.ApplicationCode(9) || ss.StreamID != testID {
		t.Fatalf("sent %#v, want STOP_SENDING app 9", ss)
	}
	var serr *quic.StreamError
	if _, err := s.str.Read(make([]byte, 10)); !errors.As(err, &serr) || serr.ErrorCode != 9 {
		t.Fatalf("Read after CancelRead: %v", err)
	}
	s.str.CancelRead(10)
	if n := len(s.ctrl.sent()); n != 1 {
		t.Fatalf("%d control frames, want no second STOP_SENDING", n)
	}
}

func TestStopSendingByPeer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		code   wire.ErrorCode
		reason string
		check  func(error) bool
	}{
		{"refused by KWIK", wire.Refused, "stream 4 does not exist on the client", func(err error) bool {
			var rerr *RefusedError
			var serr *quic.StreamError
			return errors.As(err, &rerr) && strings.Contains(err.Error(), "does not exist") &&
				errors.As(err, &serr) && serr.ErrorCode == quic.StreamErrorCode(wire.Refused) && serr.Remote
		}},
		{"application", wire.ApplicationCode(42), "", func(err error) bool {
			var serr *quic.StreamError
			var rerr *RefusedError
			return errors.As(err, &serr) && serr.ErrorCode == 42 && serr.Remote && !errors.As(err, &rerr)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStreamSetup(t, 0, 0, false)
			w := async(func() (int, error) { return s.str.Write([]byte("x")) })
			s.ctrl.next(t)
			s.ctl.HandleStopSending(tc.code, tc.reason)
			if r := wait(t, w); !tc.check(r.err) {
				t.Fatalf("blocked Write: %v", r.err)
			}
			rs, ok := s.ctrl.next(t).(*wire.ResetStream)
			if !ok || rs.ErrorCode != tc.code {
				t.Fatalf("answer %#v, want RESET_STREAM with the same code", rs)
			}
			if _, err := s.str.Write([]byte("y")); !tc.check(err) {
				t.Fatalf("later Write: %v", err)
			}
		})
	}
}

func TestStopSendingNoErrorCompletesWrites(t *testing.T) {
	s := newStreamSetup(t, 0, 0, false)
	w := async(func() (int, error) { return s.str.WriteAt([]byte("already there"), 0) })
	s.ctrl.next(t)
	s.ctl.HandleStopSending(wire.NoError, "")
	if r := wait(t, w); r.err != nil || r.n != len("already there") {
		t.Fatalf("WriteAt after the peer had everything = %d, %v; want all, nil", r.n, r.err)
	}
	if len(s.data.sent()) != 0 {
		t.Fatal("frames sent for bytes the peer already has")
	}
	if n := len(s.ctrl.sent()); n != 1 {
		t.Fatalf("%d control frames; a completed stream is not reset", n)
	}
}

func TestReadEOFAndDone(t *testing.T) {
	s := newStreamSetup(t, 1<<20, 0, false)
	s.deliver(t, 0, "all of it", true)
	got, err := io.ReadAll(s.str)
	if err != nil || string(got) != "all of it" {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
	if id := <-s.eof; id != testID {
		t.Fatalf("StreamComplete(%d)", id)
	}
	select {
	case <-s.done:
		t.Fatal("StreamDone before the write side ended")
	default:
	}
	s.str.Close()
	s.ctl.HandleStopSending(wire.NoError, "")
	if id := <-s.done; id != testID {
		t.Fatalf("StreamDone(%d)", id)
	}
	s.str.CancelWrite(1)
	s.ctl.HandleStopSending(wire.NoError, "")
	select {
	case <-s.done:
		t.Fatal("StreamDone called twice")
	default:
	}
}

// TestReadAllocatesNothing: reading buffered bytes allocates nothing, as
// quic-go's Read does (the context handed to the presentation layer used
// to cost one allocation per call).
func TestReadAllocatesNothing(t *testing.T) {
	s := newStreamSetup(t, 1<<20, 0, false)
	s.deliver(t, 0, strings.Repeat("x", 1<<16), false)
	p := make([]byte, 64)
	if n := testing.AllocsPerRun(100, func() {
		if n, err := s.str.Read(p); n != len(p) || err != nil {
			t.Fatalf("Read = %d, %v", n, err)
		}
	}); n != 0 {
		t.Fatalf("Read of buffered bytes: %v allocations per call, want 0", n)
	}
}

func TestReadDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newStreamSetup(t, 0, 0, false)
		s.str.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, err := s.str.Read(make([]byte, 1)); !errors.Is(err, errDeadline) {
			t.Fatalf("Read past its deadline: %v", err)
		}
		// Moving the deadline reaches a Read already waiting.
		s.str.SetReadDeadline(time.Now().Add(time.Hour))
		r := async(func() (int, error) { return s.str.Read(make([]byte, 1)) })
		s.str.SetReadDeadline(time.Now().Add(-time.Second))
		if res := wait(t, r); !errors.Is(res.err, errDeadline) {
			t.Fatalf("Read after its deadline moved to the past: %v", res.err)
		}
		// A cleared deadline lets reads wait for data again.
		s.str.SetDeadline(time.Time{})
		r = async(func() (int, error) { return s.str.Read(make([]byte, 4)) })
		s.deliver(t, 0, "data", false)
		if res := wait(t, r); res.err != nil || res.n != 4 {
			t.Fatalf("Read after the deadline was cleared = %d, %v", res.n, res.err)
		}
	})
}

func TestResetByPeer(t *testing.T) {
	s := newStreamSetup(t, 0, 0, false)
	r := async(func() (int, error) { return s.str.Read(make([]byte, 1)) })
	s.ctl.HandleReset(wire.ApplicationCode(3))
	var serr *quic.StreamError
	if res := wait(t, r); !errors.As(res.err, &serr) || serr.ErrorCode != 3 || !serr.Remote {
		t.Fatalf("Read after RESET_STREAM: %v", res.err)
	}
}

func TestShutdownAndSessionErrors(t *testing.T) {
	s := newStreamSetup(t, 0, 0, false)
	errGone := errors.New("session gone")
	w := async(func() (int, error) { return s.str.Write([]byte("x")) })
	s.ctrl.next(t)
	s.ctl.Shutdown(errGone)
	if r := wait(t, w); !errors.Is(r.err, errGone) {
		t.Fatalf("Write after Shutdown: %v", r.err)
	}
	if _, err := s.str.Read(make([]byte, 1)); !errors.Is(err, errGone) {
		t.Fatalf("Read after Shutdown: %v", err)
	}
	if context.Cause(s.str.Context()) != errGone {
		t.Fatalf("Context cause %v", context.Cause(s.str.Context()))
	}
	select {
	case <-s.done:
		t.Fatal("Shutdown reported the stream done: the session forgets it itself")
	default:
	}
}

func TestReadAfterReceiveSideClosed(t *testing.T) {
	s := newStreamSetup(t, 0, 0, false)
	s.sessErr = errors.New("kwik: connection closed by the peer")
	s.dpm.Close()
	if _, err := s.str.Read(make([]byte, 1)); err != s.sessErr {
		t.Fatalf("Read on a closed session: %v, want the session's error", err)
	}
}

func TestWriteFrameFailure(t *testing.T) {
	s := newStreamSetup(t, 1<<20, 0, false)
	s.data.err = errors.New("lane broken")
	if _, err := s.str.Write([]byte("x")); err != s.data.err {
		t.Fatalf("Write: %v, want the sender's error", err)
	}
	s.sessErr = errors.New("session closed")
	if _, err := s.str.Write([]byte("x")); err != s.sessErr {
		t.Fatalf("Write: %v, want the session's error, which explains the sender's", err)
	}
}
