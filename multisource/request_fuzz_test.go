package multisource

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzParseRangeRequest feeds the secondary's decoder of relayed range
// requests arbitrary bytes: it must never panic, must fail only with
// ErrBadRangeRequest, and whatever it accepts must be a request that
// encodes back to exactly the input and stays within the stream's 2^62
// offsets.
func FuzzParseRangeRequest(f *testing.F) {
	f.Add(appendRangeRequest(nil, "object", 1<<20, 256<<10, 0))
	f.Add(appendRangeRequest(nil, "", 100, 0, 100))
	f.Add(appendRangeRequest(nil, "header then object", 4096+10, 1, 4096))
	f.Add(appendRangeRequest(nil, "end at 2^62", 1<<62-8, 8, 0))
	f.Add(appendRangeRequest(nil, "past 2^62", 1<<62-8, 9, 0))
	f.Add(appendRangeRequest(nil, "wraps", 1<<63, 1<<63, 0))
	f.Add(appendRangeRequest(nil, "before the object", 10, 1, 11))
	f.Add(appendRangeRequest(nil, strings.Repeat("n", maxObjectName+1), 0, 1, 0))
	f.Add([]byte{rangeRequestMagic, 1, 2, 3})
	f.Add([]byte("not a range request at all, but long enough"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseRangeRequest(b)
		if err != nil {
			if !errors.Is(err, ErrBadRangeRequest) {
				t.Fatalf("error %v is not ErrBadRangeRequest", err)
			}
			return
		}
		if r.off < r.objectOff || r.off+r.n < r.off || r.off+r.n > 1<<62 || len(r.object) > maxObjectName {
			t.Fatalf("accepted an out-of-range request %+v", r)
		}
		if again := appendRangeRequest(nil, r.object, r.off, r.n, r.objectOff); !bytes.Equal(again, b) {
			t.Fatalf("decoded %x as %+v, which encodes as %x", b, r, again)
		}
	})
}

// FuzzRangeRequestRoundTrip encodes requests from arbitrary fields: every
// request within the limits must decode to the same fields, every other one
// must be refused.
func FuzzRangeRequestRoundTrip(f *testing.F) {
	f.Add("object", uint64(1<<20), uint64(64<<10), uint64(0))
	f.Add("", uint64(0), uint64(0), uint64(0))
	f.Add("x", uint64(1<<62), uint64(0), uint64(1<<62))
	f.Add("y", uint64(5), uint64(1), uint64(6))
	f.Fuzz(func(t *testing.T, object string, off, n, base uint64) {
		valid := len(object) <= maxObjectName && off >= base && off+n >= off && off+n <= 1<<62
		r, err := parseRangeRequest(appendRangeRequest(nil, object, off, n, base))
		switch {
		case valid && err != nil:
			t.Fatalf("refused a valid request (%q, %d, %d, %d): %v", object, off, n, base, err)
		case !valid && err == nil:
			t.Fatalf("accepted an invalid request (%q, %d, %d, %d)", object, off, n, base)
		case valid && (r.object != object || r.off != off || r.n != n || r.objectOff != base):
			t.Fatalf("(%q, %d, %d, %d) decoded as %+v", object, off, n, base, r)
		}
	})
}
