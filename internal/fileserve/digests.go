package fileserve

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"sync"
	"unsafe"
)

// Digest cache bounds: DigestCache keeps at most this many pieces' digests
// (about 100 bytes each, map overhead included: 26 MiB at most) and the
// whole-object digests of at most DefaultDigestFiles objects.
const (
	DefaultDigestFiles = 256
	maxCachedPieces    = 1 << 18
)

// objectID is what makes two opens of an object the same bytes: a file's
// device, inode, size and modification time (a rewrite changes the
// latter), or a MemStore slice's address and size.
type objectID struct {
	dev, ino uint64
	size     int64
	mtime    int64
}

// identified is implemented by objects whose identity is known.
type identified interface{ identity() (objectID, bool) }

func (m memObject) identity() (objectID, bool) {
	return objectID{ino: uint64(uintptr(unsafe.Pointer(unsafe.SliceData(m.b)))), size: int64(len(m.b))}, len(m.b) > 0
}

// DigestCache remembers the SHA-256 of objects and of the pieces Spread
// assigns to secondaries, by object identity, so that a popular file is
// hashed once rather than at every request. Objects are forgotten oldest
// first beyond its bounds. The zero value is not usable; NewDigestCache.
type DigestCache struct {
	maxFiles int

	mu      sync.Mutex
	objects map[objectID]*objectDigests
	order   []objectID // oldest first
	pieces  int        // cached piece digests, over all objects
}

type objectDigests struct {
	whole   []byte        // nil until known
	hashing bool          // a request is computing whole
	done    chan struct{} // closed when the computation of whole ends
	pieces  map[[2]int64][sha256.Size]byte
}

// NewDigestCache returns a cache of at most maxFiles objects (0 means
// DefaultDigestFiles).
func NewDigestCache(maxFiles int) *DigestCache {
	if maxFiles <= 0 {
		maxFiles = DefaultDigestFiles
	}
	return &DigestCache{maxFiles: maxFiles, objects: make(map[objectID]*objectDigests)}
}

// entry returns the digests of id, creating them; c.mu is held.
func (c *DigestCache) entry(id objectID) *objectDigests {
	d := c.objects[id]
	if d == nil {
		for len(c.order) >= c.maxFiles {
			c.evictLocked()
		}
		d = &objectDigests{pieces: make(map[[2]int64][sha256.Size]byte)}
		c.objects[id] = d
		c.order = append(c.order, id)
	}
	return d
}

func (c *DigestCache) evictLocked() {
	old := c.order[0]
	c.order = c.order[1:]
	c.pieces -= len(c.objects[old].pieces)
	delete(c.objects, old)
}

// whole returns the object's digest if known; claim is set when the caller
// should compute it (nobody else is).
func (c *DigestCache) whole(id objectID) (sum []byte, claim bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.entry(id)
	if d.whole != nil || d.hashing {
		return d.whole, false
	}
	d.hashing = true
	d.done = make(chan struct{})
	return nil, true
}

// setWhole records the object's digest, or, with sum nil, gives up the
// claim.
func (c *DigestCache) setWhole(id objectID, sum []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := c.objects[id]; d != nil && d.hashing {
		d.hashing = false
		d.whole = sum
		close(d.done)
	}
}

// settle waits until no object is being hashed, or ctx ends.
func (c *DigestCache) settle(ctx context.Context) error {
	c.mu.Lock()
	var pending []chan struct{}
	for _, d := range c.objects {
		if d.hashing {
			pending = append(pending, d.done)
		}
	}
	c.mu.Unlock()
	for _, ch := range pending {
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// piece returns the digest of n bytes at off of the object, from the cache
// or by reading them from r.
func (c *DigestCache) piece(id objectID, r io.ReaderAt, off, n int64) ([sha256.Size]byte, error) {
	key := [2]int64{off, n}
	c.mu.Lock()
	sum, ok := c.entry(id).pieces[key]
	c.mu.Unlock()
	if ok {
		return sum, nil
	}
	h := sha256.New()
	m, err := io.Copy(h, io.NewSectionReader(r, off, n))
	if err == nil && m != n {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return sum, fmt.Errorf("hashing %d bytes at %d: %w", n, off, err)
	}
	h.Sum(sum[:0])
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.entry(id)
	if _, dup := d.pieces[key]; !dup {
		for c.pieces >= maxCachedPieces && len(c.order) > 1 && c.order[0] != id {
			c.evictLocked()
		}
		if c.pieces < maxCachedPieces {
			d.pieces[key] = sum
			c.pieces++
		}
	}
	return sum, nil
}

// hashWhole computes the SHA-256 of the size bytes of r, stopping early
// when ctx ends.
func hashWhole(ctx context.Context, r io.ReaderAt, size int64) ([]byte, error) {
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for off := int64(0); off < size; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := r.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		h.Write(buf[:n])
		off += int64(n)
		if err != nil && (err != io.EOF || off < size) {
			return nil, err
		}
	}
	return h.Sum(nil), nil
}

// cachedContent is what Spread reads: the object from start on, with its
// pieces' digests taken from the cache.
type cachedContent struct {
	obj   io.ReaderAt
	start int64
	cache *DigestCache
	id    objectID
}

func (c cachedContent) ReadAt(p []byte, off int64) (int, error) { return c.obj.ReadAt(p, c.start+off) }

// PieceDigest implements multisource.PieceDigester.
func (c cachedContent) PieceDigest(off, n int64) ([sha256.Size]byte, error) {
	return c.cache.piece(c.id, c.obj, c.start+off, n)
}
