package fileserve

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"sync/atomic"
	"testing"
)

// A primary announces no digest for an object it has not hashed yet,
// hashes it after the first transfer, and announces it from then on;
// the client's Verify accepts the right sum and refuses any other.
func TestHeaderCarriesDigestOnceKnown(t *testing.T) {
	ctx := testContext(t)
	c := newCluster(t, ctx)
	sess := c.dial(t, ctx, c.primary.Addr().String())
	want := sha256.Sum256(c.content)
	for i, announced := range []bool{false, true} {
		dl, err := Get(ctx, sess, "object.bin")
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(dl)
		dl.Close()
		if err != nil || !bytes.Equal(got, c.content) {
			t.Fatalf("request %d: %d bytes, %v", i, len(got), err)
		}
		if (dl.SHA256 != nil) != announced || announced && !bytes.Equal(dl.SHA256, want[:]) {
			t.Fatalf("request %d announced sha256 %x; want announced %v (%x)", i, dl.SHA256, announced, want)
		}
		sum := sha256.Sum256(got)
		if ok, err := dl.Verify(sum[:]); ok != announced || err != nil {
			t.Fatalf("request %d: Verify = %v, %v", i, ok, err)
		}
		if announced {
			var de *DigestError
			if _, err := dl.Verify(make([]byte, 32)); !errors.As(err, &de) {
				t.Fatalf("Verify of a wrong sum: %v, want a *DigestError", err)
			}
		}
		if err := c.digests.settle(ctx); err != nil { // the first transfer's hash is done
			t.Fatal(err)
		}
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// A piece is hashed once however often it is asked for; the cache stays
// within its bound of objects.
func TestDigestCacheHashesOnce(t *testing.T) {
	data := bytes.Repeat([]byte("piece"), 1<<14)
	r := &countingReader{r: bytes.NewReader(data)}
	c := NewDigestCache(2)
	id := objectID{ino: 1, size: int64(len(data))}
	for range 3 {
		sum, err := c.piece(id, r, 100, 4096)
		if err != nil || sum != sha256.Sum256(data[100:4196]) {
			t.Fatalf("piece digest %x, %v", sum, err)
		}
	}
	if n := r.n.Load(); n != 4096 {
		t.Fatalf("read %d bytes for three lookups of a 4096-byte piece; want 4096", n)
	}
	if _, err := c.piece(id, r, int64(len(data))-10, 20); err == nil {
		t.Fatal("a piece past the object's end was hashed")
	}
	for i := range uint64(5) {
		c.piece(objectID{ino: 10 + i, size: int64(len(data))}, r, 0, 10)
	}
	c.mu.Lock()
	objects, pieces := len(c.objects), c.pieces
	c.mu.Unlock()
	if objects != 2 || pieces != 2 {
		t.Fatalf("cache holds %d objects and %d pieces; want 2 and 2 (its bound)", objects, pieces)
	}
}
