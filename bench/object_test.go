package bench

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/kwik-transport/kwik/internal/fileserve"
)

// patternLen is the period of every object's content. It is odd, so a
// chunk delivered at a wrong offset that is a multiple of any power of two
// does not match by accident.
const patternLen = 1<<20 - 3

// pattern is the content every object repeats.
var pattern = sync.OnceValue(func() []byte {
	b := make([]byte, patternLen)
	rand.NewChaCha8([32]byte{'k', 'w', 'i', 'k', 'b', 'e', 'n', 'c', 'h'}).Read(b)
	return b
})

// Object is benchmark content that every server and the client derive from
// its size alone: an object of any size costs no memory, and the client
// checks every byte it reads without a copy of the original.
type Object struct{ size int64 }

// NewObject returns the object of size bytes.
func NewObject(size int64) Object { return Object{size: size} }

// Size is the object's length in bytes.
func (o Object) Size() int64 { return o.size }

// objectPrefix starts every object name.
const objectPrefix = "kwikbench/"

// Name is what a client asks the primary for, and the primary its
// secondaries.
func (o Object) Name() string { return objectPrefix + strconv.FormatInt(o.size, 10) }

// parseName is the inverse of Name.
func parseName(name string) (Object, error) {
	s, ok := strings.CutPrefix(name, objectPrefix)
	if !ok {
		return Object{}, fmt.Errorf("%w: object name %q does not start with %q", fileserve.ErrNotFound, name, objectPrefix)
	}
	size, err := strconv.ParseInt(s, 10, 64)
	if err != nil || size < 0 || size > fileserve.MaxSize || strconv.FormatInt(size, 10) != s {
		return Object{}, fmt.Errorf("%w: object name %q: size is not a decimal integer in [0, %d]", fileserve.ErrNotFound, name, fileserve.MaxSize)
	}
	return Object{size: size}, nil
}

// Close implements fileserve.Object: an object holds nothing.
func (Object) Close() error { return nil }

// Store is the fileserve.Store of every object: the benchmark servers are
// fileserve's primary and secondaries (the ones kwik serve runs), serving
// objects that need no files.
type Store struct{}

// Open returns the object that name names.
func (Store) Open(name string) (fileserve.Object, error) { return parseName(name) }

// ReadAt implements io.ReaderAt.
func (o Object) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("bench: negative offset %d", off)
	}
	if off >= o.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), o.size-off))
	fill(p[:n], off)
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// fill writes the content at offsets off… into p.
func fill(p []byte, off int64) {
	pat := pattern()
	i := int(off % patternLen)
	for len(p) > 0 {
		n := copy(p, pat[i:])
		p = p[n:]
		i = 0
	}
}

// MismatchError says where a read stream first differed from its object.
type MismatchError struct {
	Offset int64 // first wrong byte
	Got    byte
	Want   byte
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("bench: byte %d is %#02x, want %#02x (data lost, misplaced or corrupted)", e.Offset, e.Got, e.Want)
}

// LengthError says a stream ended before or after its object's size.
type LengthError struct{ Got, Want int64 }

func (e *LengthError) Error() string {
	return fmt.Sprintf("bench: stream carried %d bytes, want %d", e.Got, e.Want)
}

// Checker is an io.Writer that compares what is written to it, in order,
// with an object, without allocating.
type Checker struct {
	obj Object
	off int64
}

// NewChecker returns a Checker positioned at the start of obj.
func NewChecker(obj Object) *Checker { return &Checker{obj: obj} }

// Write checks p against the object at the current position. It returns a
// *MismatchError or a *LengthError for the first byte that is wrong.
func (c *Checker) Write(p []byte) (int, error) {
	if c.off+int64(len(p)) > c.obj.size {
		return 0, &LengthError{Got: c.off + int64(len(p)), Want: c.obj.size}
	}
	pat := pattern()
	done := 0
	for done < len(p) {
		i := int((c.off + int64(done)) % patternLen)
		n := min(len(p)-done, patternLen-i)
		if got, want := p[done:done+n], pat[i:i+n]; !bytes.Equal(got, want) {
			for k := range got {
				if got[k] != want[k] {
					return done + k, &MismatchError{Offset: c.off + int64(done+k), Got: got[k], Want: want[k]}
				}
			}
		}
		done += n
	}
	c.off += int64(len(p))
	return len(p), nil
}

// Done reports a *LengthError unless exactly the whole object was written.
func (c *Checker) Done() error {
	if c.off != c.obj.size {
		return &LengthError{Got: c.off, Want: c.obj.size}
	}
	return nil
}

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
