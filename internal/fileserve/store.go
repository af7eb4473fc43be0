package fileserve

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Store opens the objects a server offers, by the names clients ask for.
// Open must refuse names outside what it offers with an error wrapping
// ErrForbidden, and unknown names with one wrapping ErrNotFound.
type Store interface {
	Open(name string) (Object, error)
}

// Object is an opened object: the primary reads its ranges concurrently
// with ReadAt, a secondary reads the ranges it is asked for.
type Object interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// DirStore serves the regular files under one directory. It opens them
// through an os.Root, so neither ".." nor a symbolic link can reach outside.
type DirStore struct {
	root *os.Root
}

// OpenDir returns a store of the files under dir. Close it when done.
func OpenDir(dir string) (*DirStore, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot serve %s: %w", dir, err)
	}
	return &DirStore{root: root}, nil
}

// Close releases the root directory.
func (d *DirStore) Close() error { return d.root.Close() }

// Open opens name, a slash-separated path relative to the root.
func (d *DirStore) Open(name string) (Object, error) {
	if !fs.ValidPath(name) || name == "." {
		return nil, fmt.Errorf("%w: %q is not a relative slash-separated path inside the served directory", ErrForbidden, name)
	}
	// Look before opening: opening a FIFO waits for a writer, forever, and
	// opening a device may have effects of its own. openFlags closes the
	// window in which the name could be replaced between the two calls.
	if st, err := d.root.Stat(filepath.FromSlash(name)); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %q is not a regular file", ErrForbidden, name)
	}
	f, err := d.root.OpenFile(filepath.FromSlash(name), os.O_RDONLY|openFlags, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
		}
		// os.Root refuses links and ".." that leave the root; report any
		// other failure to open as a refusal too, without server paths.
		return nil, fmt.Errorf("%w: %q cannot be opened inside the served directory", ErrForbidden, name)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: stat %q: %v", ErrInternal, name, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%w: %q is not a regular file", ErrForbidden, name)
	}
	return &fileObject{File: f, size: st.Size()}, nil
}

// fileObject is an open file with the size it had when opened.
type fileObject struct {
	*os.File
	size int64
}

func (f *fileObject) Size() int64 { return f.size }

// MemStore serves objects held in memory, by name. The demo uses it.
type MemStore map[string][]byte

// Open returns the object called name.
func (m MemStore) Open(name string) (Object, error) {
	b, ok := m[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	return memObject{bytes.NewReader(b), b}, nil
}

// memObject is an in-memory object. Its digests are cached by the slice's
// address: do not change a MemStore's bytes while it is served.
type memObject struct {
	*bytes.Reader
	b []byte
}

func (memObject) Close() error { return nil }
