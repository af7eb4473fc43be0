package harness

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"

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
