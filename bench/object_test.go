package bench

import (
	"errors"
	"io"
	"testing"
)

// TestCheckerAcceptsObject reads an object in uneven pieces that straddle
// the pattern's period and checks the Checker accepts it whole.
func TestCheckerAcceptsObject(t *testing.T) {
	obj := NewObject(3*patternLen + 12345)
	c := NewChecker(obj)
	buf := make([]byte, 70001)
	var off int64
	for {
		n, err := obj.ReadAt(buf, off)
		if _, cerr := c.Write(buf[:n]); cerr != nil {
			t.Fatalf("at %d: %v", off, cerr)
		}
		off += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Done(); err != nil {
		t.Fatal(err)
	}
}

// TestCheckerFindsDamage flips one byte, shifts a chunk and truncates, and
// expects the Checker to say where.
func TestCheckerFindsDamage(t *testing.T) {
	obj := NewObject(2 << 20)
	data := make([]byte, obj.Size())
	obj.ReadAt(data, 0)

	flipped := append([]byte(nil), data...)
	flipped[patternLen+5] ^= 1
	c := NewChecker(obj)
	_, err := c.Write(flipped)
	var mm *MismatchError
	if !errors.As(err, &mm) || mm.Offset != patternLen+5 {
		t.Fatalf("flipped byte: got %v, want a mismatch at %d", err, patternLen+5)
	}

	// A 64 KiB chunk delivered 64 KiB late: the odd period makes it differ.
	c = NewChecker(obj)
	shifted := append([]byte(nil), data[:1<<20]...)
	copy(shifted[128<<10:], data[64<<10:128<<10])
	if _, err := c.Write(shifted); !errors.As(err, &mm) || mm.Offset < 128<<10 {
		t.Fatalf("misplaced chunk: got %v, want a mismatch at or after %d", err, 128<<10)
	}

	c = NewChecker(obj)
	c.Write(data[:100])
	var le *LengthError
	if err := c.Done(); !errors.As(err, &le) || le.Got != 100 || le.Want != obj.Size() {
		t.Fatalf("short stream: got %v, want a LengthError 100/%d", err, obj.Size())
	}
	if _, err := NewChecker(NewObject(10)).Write(make([]byte, 11)); !errors.As(err, &le) {
		t.Fatalf("long stream: got %v, want a LengthError", err)
	}
}

func TestObjectReadAtEnd(t *testing.T) {
	obj := NewObject(10)
	buf := make([]byte, 8)
	if n, err := obj.ReadAt(buf, 4); n != 6 || err != io.EOF {
		t.Fatalf("ReadAt(8 bytes at 4) of 10 = %d, %v; want 6, EOF", n, err)
	}
	if n, err := obj.ReadAt(buf, 10); n != 0 || err != io.EOF {
		t.Fatalf("ReadAt at the end = %d, %v; want 0, EOF", n, err)
	}
	if _, err := obj.ReadAt(buf, -1); err == nil {
		t.Fatal("ReadAt at -1 succeeded")
	}
}

func TestParseRequest(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Request
		ok   bool
	}{
		{"spread kwikbench/123", Request{Object: NewObject(123), Spread: true}, true},
		{"write kwikbench/0", Request{Object: NewObject(0)}, true},
		{"write kwikbench/+5", Request{}, false},
		{"write kwikbench/05", Request{}, false},
		{"write kwikbench/-5", Request{}, false},
		{"get kwikbench/5", Request{}, false},
		{"spread other/5", Request{}, false},
		{"spread", Request{}, false},
		{"", Request{}, false},
	} {
		got, err := parseRequest([]byte(tc.in))
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("parseRequest(%q) = %+v, %v; want %+v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrBadRequest) {
			t.Errorf("parseRequest(%q): error %v does not match ErrBadRequest", tc.in, err)
		}
	}
}

// FuzzParseRequest: the primary decodes requests from the network. Any
// input either fails with ErrBadRequest or is a request that encodes back
// to exactly the input.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte("spread kwikbench/1073741824"))
	f.Add([]byte("write kwikbench/0"))
	f.Add([]byte("write kwikbench/9223372036854775808"))
	f.Add([]byte("spread kwikbench/12 "))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := parseRequest(b)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("error %v does not match ErrBadRequest", err)
			}
			return
		}
		if got := string(req.encode()); got != string(b) {
			t.Fatalf("parsed %q as %+v, which encodes as %q", b, req, got)
		}
	})
}
