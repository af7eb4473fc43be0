package multisource

import (
	"crypto/sha256"
	"fmt"
	"io"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/scheduler"
)

// PieceDigester is implemented by content passed to Spread that knows the
// SHA-256 of its pieces without reading them again (a cache of digests, as
// internal/fileserve keeps per file): Spread then asks it instead of
// hashing the piece's n bytes from off itself.
type PieceDigester interface {
	PieceDigest(off, n int64) ([kwik.DigestSize]byte, error)
}

// digestRange returns the SHA-256 of range r of content, the digest a
// secondary's piece must match.
func digestRange(content io.ReaderAt, r scheduler.Range) ([kwik.DigestSize]byte, error) {
	if pd, ok := content.(PieceDigester); ok {
		return pd.PieceDigest(int64(r.Start), int64(r.Len()))
	}
	h := sha256.New()
	n, err := io.Copy(h, io.NewSectionReader(content, int64(r.Start), int64(r.Len())))
	if err == nil && uint64(n) != r.Len() {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return [kwik.DigestSize]byte{}, fmt.Errorf("multisource: Spread: reading %v of the object to hash it: %w", r, err)
	}
	var sum [kwik.DigestSize]byte
	h.Sum(sum[:0])
	return sum, nil
}
