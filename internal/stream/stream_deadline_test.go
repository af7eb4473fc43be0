package stream

import (
	"errors"
	"net"
	"os"
	"testing"
	"testing/synctest"
	"time"
)

// isTimeout says whether err is what net.Conn returns for a deadline.
func isTimeout(err error) bool {
	var nerr net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) && errors.As(err, &nerr) && nerr.Timeout()
}

// TestPastWriteDeadline: a deadline in the past fails every Write and
// WriteAt with nothing sent, though credit and the lane are free.
func TestPastWriteDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newStreamSetup(t, 1<<20, 0, false)
		s.str.SetWriteDeadline(time.Now().Add(-time.Second))
		for i := range 100 {
			if n, err := s.str.Write([]byte("x")); n != 0 || !isTimeout(err) {
				t.Fatalf("Write %d past the deadline = %d, %v", i, n, err)
			}
			if n, err := s.str.WriteAt([]byte("y"), 5); n != 0 || !isTimeout(err) {
				t.Fatalf("WriteAt %d past the deadline = %d, %v", i, n, err)
			}
		}
		if n, err := s.str.Write(nil); n != 0 || !isTimeout(err) {
			t.Fatalf("empty Write past the deadline = %d, %v", n, err)
		}
		if f := s.data.sent(); len(f) != 0 {
			t.Fatalf("%d frames sent past the deadline", len(f))
		}
		s.str.SetWriteDeadline(time.Time{})
		if n, err := s.str.Write([]byte("z")); n != 1 || err != nil {
			t.Fatalf("Write after the deadline was cleared = %d, %v", n, err)
		}
		checkFrames(t, s.data.sent(), "z", DefaultMaxFrameSize)
	})
}

// TestPastReadDeadline: a deadline in the past fails every Read, even with
// bytes buffered, and leaves them for the next Read.
func TestPastReadDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newStreamSetup(t, 0, 0, false)
		s.deliver(t, 0, "data", false)
		s.str.SetReadDeadline(time.Now().Add(-time.Second))
		for i := range 100 {
			if n, err := s.str.Read(make([]byte, 4)); n != 0 || !isTimeout(err) {
				t.Fatalf("Read %d past the deadline = %d, %v", i, n, err)
			}
		}
		s.str.SetReadDeadline(time.Time{})
		p := make([]byte, 4)
		if n, err := s.str.Read(p); n != 4 || err != nil || string(p) != "data" {
			t.Fatalf("Read after the deadline was cleared = %d %q, %v", n, p[:n], err)
		}
	})
}

// TestFutureDeadlines: blocked calls return exactly when their deadline
// passes; a cleared deadline lets them wait again.
func TestFutureDeadlines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newStreamSetup(t, 3, 0, false)
		start := time.Now()
		s.str.SetDeadline(start.Add(time.Second))
		n, err := s.str.Write([]byte("12345"))
		if n != 3 || !isTimeout(err) || time.Since(start) != time.Second {
			t.Fatalf("Write blocked on credit = %d, %v after %v; want 3, a timeout after 1s", n, err, time.Since(start))
		}
		if n, err := s.str.Read(make([]byte, 1)); n != 0 || !isTimeout(err) || time.Since(start) != time.Second {
			t.Fatalf("Read = %d, %v after %v; want a timeout at once", n, err, time.Since(start))
		}

		s.str.SetDeadline(time.Now().Add(time.Hour))
		r := async(func() (int, error) { return s.str.Read(make([]byte, 1)) })
		synctest.Wait()
		s.str.SetDeadline(time.Time{}) // cleared: the Read waits for data
		time.Sleep(2 * time.Hour)
		synctest.Wait()
		select {
		case res := <-r:
			t.Fatalf("Read returned %d, %v with its deadline cleared", res.n, res.err)
		default:
		}
		s.deliver(t, 0, "d", false)
		if res := <-r; res.n != 1 || res.err != nil {
			t.Fatalf("Read = %d, %v", res.n, res.err)
		}
	})
}
