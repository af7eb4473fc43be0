package harness

import (
	"errors"
	"io"
	"testing"

	"github.com/kwik-transport/kwik/internal/fileserve"
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

// TestStoreOpen: the benchmark servers open what a request names, and
// refuse every other name as not found.
func TestStoreOpen(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int64
		ok   bool
	}{
		{"kwikbench/123", 123, true},
		{"kwikbench/0", 0, true},
		{"kwikbench/+5", 0, false},
		{"kwikbench/05", 0, false},
		{"kwikbench/-5", 0, false},
		{"kwikbench/9223372036854775807", 0, false}, // beyond fileserve.MaxSize
		{"other/5", 0, false},
		{"kwikbench/", 0, false},
		{"", 0, false},
	} {
		obj, err := Store{}.Open(tc.name)
		if tc.ok != (err == nil) || (err == nil && obj.Size() != tc.size) {
			t.Errorf("Open(%q) = %v, %v; want size %d, ok=%v", tc.name, obj, err, tc.size, tc.ok)
		}
		if err != nil && !errors.Is(err, fileserve.ErrNotFound) {
			t.Errorf("Open(%q): error %v does not match fileserve.ErrNotFound", tc.name, err)
		}
	}
}

// FuzzParseRequest: the benchmark primary decodes requests from the
// network with fileserve.ParseRequest, and its secondaries open the names
// relayed to them. Any input either fails with fileserve.ErrBadRequest or
// fileserve.ErrNotFound, or names an object whose Name is exactly the name
// asked for.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte("GET kwikbench/1073741824\n"))
	f.Add([]byte("GET kwikbench/0\n"))
	f.Add([]byte("GET kwikbench/9223372036854775808\n"))
	f.Add([]byte("GET kwikbench/12 \nstart 5\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := fileserve.ParseRequest(b)
		if err != nil {
			if !errors.Is(err, fileserve.ErrBadRequest) {
				t.Fatalf("error %v does not match ErrBadRequest", err)
			}
			return
		}
		obj, err := Store{}.Open(req.Name)
		if err != nil {
			if !errors.Is(err, fileserve.ErrNotFound) {
				t.Fatalf("error %v does not match ErrNotFound", err)
			}
			return
		}
		if got := obj.(Object).Name(); got != req.Name {
			t.Fatalf("opened %q as %q", req.Name, got)
		}
	})
}
