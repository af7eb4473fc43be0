package bench

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/kwik-transport/kwik"
)

// maxIdleSessionBytes bounds a server's live heap per idle session: issue
// 12 asks for at most 1 MiB.
const maxIdleSessionBytes = 1 << 20

// dialSessions dials n sessions to c one after the other; each fetches one
// small object, so that its control stream and a lane have carried data.
// The sessions close with the test.
func dialSessions(tb testing.TB, ctx context.Context, c *child, n int) []*kwik.Session {
	tb.Helper()
	sessions := make([]*kwik.Session, n)
	for i := range sessions {
		sess, err := kwik.Dial(ctx, c.addr, c.tls, nil)
		if err != nil {
			tb.Fatalf("session %d: %v", i, err)
		}
		tb.Cleanup(func() { sess.CloseWithError(0, "") })
		if _, err := Fetch(ctx, sess, NewObject(64<<10), nil); err != nil {
			tb.Fatalf("session %d: %v", i, err)
		}
		sessions[i] = sess
	}
	return sessions
}

// perSession is the growth from base to now divided among n sessions.
func perSession(base, now uint64, n int) float64 {
	return float64(now-min(now, base)) / float64(n)
}

// TestServerIdleSessionMemory checks the server's live heap per idle
// session (the server in a child process, so that the heap is its alone):
// 50 sessions that each fetched 64 KiB and then went quiet.
func TestServerIdleSessionMemory(t *testing.T) {
	const n = 50
	c := startChildProcess(t, childSpec{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := c.liveHeap(t)
	dialSessions(t, ctx, c, n)
	per := perSession(base, c.liveHeap(t), n)
	t.Logf("server live heap per idle session: %.0f KiB", per/1024)
	if per > maxIdleSessionBytes {
		t.Errorf("server live heap per idle session %.0f KiB, want at most %d KiB", per/1024, maxIdleSessionBytes>>10)
	}
}

// BenchmarkServerSessionMemory reports the server's live heap per session
// (the server in a child process): idle (each session fetched 64 KiB) and
// active (every session in the middle of an 8 MiB fetch, its reader
// paused once it has read a quarter, so the server's sender waits on the
// client's window with its stream, lane and quic-go state in use).
//
//	go test -run '^$' -bench ServerSessionMemory -benchtime 1x ./bench
func BenchmarkServerSessionMemory(b *testing.B) {
	const n, size = 100, 8 << 20
	for range b.N {
		c := startChildProcess(b, childSpec{})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		base := c.liveHeap(b)
		sessions := dialSessions(b, ctx, c, n)
		idle := perSession(base, c.liveHeap(b), n)

		var paused, fetched sync.WaitGroup
		resume := make(chan struct{})
		errs := make(chan error, n)
		paused.Add(n)
		for _, sess := range sessions {
			fetched.Go(func() {
				once := sync.OnceFunc(paused.Done)
				defer once()
				_, err := Fetch(ctx, sess, NewObject(size), &ReadOptions{AfterRead: func(total int64) {
					if total >= size/4 {
						once()
						<-resume
					}
				}})
				if err != nil {
					errs <- err
				}
			})
		}
		paused.Wait()
		active := perSession(base, c.liveHeap(b), n)
		close(resume)
		fetched.Wait()
		cancel()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		b.ReportMetric(idle/1024, "idle-KiB/session")
		b.ReportMetric(active/1024, "active-KiB/session")
	}
}
