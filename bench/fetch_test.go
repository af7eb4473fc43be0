package bench

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/fileserve"
)

// ReadOptions shape how Fetch reads.
type ReadOptions struct {
	// Buf is the buffer Fetch reads into; nil means a new one of 64 KiB.
	Buf []byte
	// AfterRead, if set, is called after every Read with the bytes read so
	// far; a benchmark's slow reader sleeps in it.
	AfterRead func(total int64)
}

// Fetch asks the primary of the client session sess for obj with
// fileserve's GET on a new stream, reads the whole object and checks every
// byte. It returns the time from the request to the last byte.
func Fetch(ctx context.Context, sess *kwik.Session, obj Object, opts *ReadOptions) (time.Duration, error) {
	var o ReadOptions
	if opts != nil {
		o = *opts
	}
	if len(o.Buf) == 0 {
		o.Buf = make([]byte, 64<<10)
	}
	start := time.Now()
	d, err := (&fileserve.Client{HeaderTimeout: -1}).Get(ctx, sess, fileserve.Request{Name: obj.Name()})
	if err != nil {
		return 0, err
	}
	defer d.Close()
	if d.Size != obj.Size() {
		return 0, &LengthError{Got: d.Size, Want: obj.Size()}
	}
	check := NewChecker(obj)
	var total int64
	for {
		n, err := d.Read(o.Buf)
		if n > 0 {
			if _, cerr := check.Write(o.Buf[:n]); cerr != nil {
				return 0, cerr
			}
			total += int64(n)
			if o.AfterRead != nil {
				o.AfterRead(total)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			return 0, fmt.Errorf("bench: reading byte %d of %d: %w", total, obj.Size(), err)
		}
	}
	elapsed := time.Since(start)
	return elapsed, check.Done()
}

// WaitPaths waits until the client session sess has n active paths (the
// primary's included), polling, because a client is not told of paths its
// primary adds.
func WaitPaths(ctx context.Context, sess *kwik.Session, n int) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if len(sess.ActivePaths()) >= n {
			return nil
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("bench: %d of %d paths active: %w", len(sess.ActivePaths()), n, ctx.Err())
		case <-sess.Context().Done():
			return fmt.Errorf("bench: session closed with %d of %d paths active: %w", len(sess.ActivePaths()), n, sess.Err())
		}
	}
}

// PathBytes returns the payload bytes the client session received through
// each of its paths, by path ID (the primary is 0).
func PathBytes(sess *kwik.Session) []uint64 {
	var out []uint64
	for _, p := range sess.AllPaths() {
		for uint64(len(out)) <= p.ID {
			out = append(out, 0)
		}
		out[p.ID] = p.Stats.BytesReceived
	}
	return out
}
