package wire

import (
	"bytes"
	"errors"
	"runtime"
	"testing"

	"github.com/quic-go/quic-go/quicvarint"
)

// Helpers to write frames by hand, independently of the encoders.

// vi encodes one varint.
func vi(v uint64) []byte { return quicvarint.Append(nil, v) }

// cat concatenates byte slices.
func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// lp is a length-prefixed bytes field of n bytes of filler.
func lp(n int) []byte { return cat(vi(uint64(n)), bytes.Repeat([]byte{0xab}, n)) }

// rawFrame is Type | Length | body, with Length computed from body.
func rawFrame(t FrameType, body ...[]byte) []byte {
	b := cat(body...)
	return cat(vi(uint64(t)), vi(uint64(len(b))), b)
}

func filled(n int, c byte) []byte { return bytes.Repeat([]byte{c}, n) }

// mustAppend encodes f or fails the test.
func mustAppend(t testing.TB, f Frame) []byte {
	t.Helper()
	b, err := f.Append(nil)
	if err != nil {
		t.Fatalf("%v.Append: %v", f.Type(), err)
	}
	return b
}

// asWireError returns err as an *Error or fails the test.
func asWireError(t testing.TB, err error) *Error {
	t.Helper()
	var we *Error
	if !errors.As(err, &we) {
		t.Fatalf("error %v (%T) is not a *wire.Error", err, err)
	}
	return we
}

// bytesPerRun returns the average number of bytes allocated by one call of f.
func bytesPerRun(runs int, f func()) uint64 {
	var before, after runtime.MemStats
	f() // warm up lazily initialised state
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

// truncationPoints returns the prefix lengths at which to cut an encoding of
// n bytes: all of them for small encodings; for large ones the first and
// last KiB and a stride in between, since every point inside a body takes
// the same path.
func truncationPoints(n int) []int {
	var pts []int
	for i := 0; i < n; i++ {
		if n <= 1<<16 || i < 1024 || i >= n-1024 || i%4093 == 0 {
			pts = append(pts, i)
		}
	}
	return pts
}
