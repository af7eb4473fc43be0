package kwik

import (
	"crypto/sha256"
	"fmt"
	"io"

	"github.com/kwik-transport/kwik/internal/scheduler"
)

// PieceDigester is implemented by content passed to Spread that knows the
// SHA-256 of its pieces without reading them again (a cache of digests, as
// internal/fileserve keeps per file): Spread then asks it instead of
// hashing the piece's n bytes from off itself.
type PieceDigester interface {
	PieceDigest(off, n int64) ([DigestSize]byte, error)
}

// digestRange returns the SHA-256 of range r of content, the digest a
// secondary's piece must match.
func digestRange(content io.ReaderAt, r scheduler.Range) ([DigestSize]byte, error) {
	if pd, ok := content.(PieceDigester); ok {
		return pd.PieceDigest(int64(r.Start), int64(r.Len()))
	}
	h := sha256.New()
	n, err := io.Copy(h, io.NewSectionReader(content, int64(r.Start), int64(r.Len())))
	if err == nil && uint64(n) != r.Len() {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return [DigestSize]byte{}, fmt.Errorf("kwik: Spread: reading %v of the object to hash it: %w", r, err)
	}
	var sum [DigestSize]byte
	h.Sum(sum[:0])
	return sum, nil
}

// pieceFailures hands the pieces the client discarded back to the
// Distributor, and removes a path once it delivered maxBad corrupt ones.
func (f *spreadFeed) pieceFailures() {
	for _, e := range f.sess.PieceFailures(uint64(f.str.StreamID())) {
		if _, known := f.sources[e.PathID]; !known || e.Range.Start < f.offset {
			continue
		}
		r := scheduler.Range{Start: e.Range.Start - f.offset, End: e.Range.End - f.offset}
		if err := f.d.PieceFailed(e.PathID, r); err != nil {
			continue
		}
		if e.Reason != PieceCorrupt {
			continue
		}
		f.bad[e.PathID]++
		if f.maxBad < 0 || f.bad[e.PathID] < f.maxBad || !f.sources[e.PathID] {
			continue
		}
		f.sources[e.PathID] = false
		f.d.PathDown(e.PathID)
		if f.log != nil {
			f.log.Warn("kwik: Spread: removing a secondary that delivered corrupt pieces", "path", e.PathID, "bad_pieces", f.bad[e.PathID])
		}
		f.sess.RemovePath(e.PathID)
	}
}
