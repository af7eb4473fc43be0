package presentation

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// pattern returns n deterministic bytes that differ at every offset mod 251.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

func mustWrite(t *testing.T, b StreamBuffer, off uint64, data []byte) {
	t.Helper()
	if err := b.Write(off, data); err != nil {
		t.Fatalf("Write(%d, %d bytes): %v", off, len(data), err)
	}
}

func readAvailable(t *testing.T, b StreamBuffer) []byte {
	t.Helper()
	var out []byte
	p := make([]byte, 7) // small reads cross piece boundaries
	for {
		n, err := b.ReadContiguous(p)
		out = append(out, p[:n]...)
		if err == io.EOF || n == 0 {
			return out
		}
		if err != nil {
			t.Fatalf("ReadContiguous: %v", err)
		}
	}
}

func TestStreamBufferOutOfOrderWrites(t *testing.T) {
	data := pattern(100)
	b := newTestStream(t, 4, 1000)
	mustWrite(t, b, 50, data[50:80])
	mustWrite(t, b, 20, data[20:40])
	if got := readAvailable(t, b); len(got) != 0 {
		t.Fatalf("read %d bytes before offset 0 arrived", len(got))
	}
	if !b.HasGaps() {
		t.Error("HasGaps = false with holes [0,20) and [40,50)")
	}
	if off, ok := b.GetNextGapPosition(); !ok || off != 0 {
		t.Errorf("GetNextGapPosition = %d, %t; want 0, true", off, ok)
	}
	mustWrite(t, b, 0, data[0:20])
	if got := b.GetContiguousBytes(); got != 40 {
		t.Errorf("GetContiguousBytes = %d, want 40", got)
	}
	// Contiguous read stops at the first gap, 40.
	if got := readAvailable(t, b); !bytes.Equal(got, data[:40]) {
		t.Fatalf("read %d bytes, want the first 40", len(got))
	}
	if pos := b.GetReadPosition(); pos != 40 {
		t.Errorf("read position = %d, want 40", pos)
	}
	if got := b.ReceivedRanges(); !slices.Equal(got, []Range{{50, 80}}) {
		t.Errorf("ReceivedRanges = %v, want [{50 80}]", got)
	}
	mustWrite(t, b, 40, data[40:50])
	if err := b.WriteWithMetadata(80, data[80:], &DataMetadata{Flags: DataFlagFin}); err != nil {
		t.Fatal(err)
	}
	if b.HasGaps() {
		t.Error("HasGaps = true after every byte arrived")
	}
	if _, ok := b.GetNextGapPosition(); ok {
		t.Error("GetNextGapPosition found a gap in a complete stream")
	}
	p := make([]byte, 100)
	n, err := b.Read(p)
	if n != 60 || err != io.EOF || !bytes.Equal(p[:n], data[40:]) {
		t.Fatalf("final Read = %d, %v; want 60 bytes and io.EOF", n, err)
	}
	if n, err := b.Read(p); n != 0 || err != io.EOF {
		t.Fatalf("Read after the end = %d, %v; want 0, io.EOF", n, err)
	}
}

func TestStreamBufferDuplicatesAndConflicts(t *testing.T) {
	data := pattern(64)
	b := newTestStream(t, 0, 1000)
	mustWrite(t, b, 10, data[10:30])
	mustWrite(t, b, 0, data[0:40]) // overlaps [10,30) identically
	mustWrite(t, b, 15, data[15:20])
	if st := b.Stats(); st.BytesWritten != 40 || st.DuplicateBytes != 25 {
		t.Errorf("written %d duplicate %d, want 40 and 25", st.BytesWritten, st.DuplicateBytes)
	}
	bad := slices.Clone(data[30:50])
	bad[5] ^= 0xff // offset 35 differs
	err := b.Write(30, bad)
	var ce *ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, ErrConflictingData) || ce.Offset != 35 {
		t.Fatalf("conflicting write: err = %v, want *ConflictError at offset 35", err)
	}
	if _, err := b.Read(make([]byte, 10)); !errors.Is(err, ErrConflictingData) {
		t.Errorf("Read of a failed stream: %v, want the conflict", err)
	}
	if err := b.Write(100, data[:1]); !errors.Is(err, ErrStreamClosed) {
		t.Errorf("write to a failed stream: %v, want ErrStreamClosed", err)
	}
	if u := b.GetBufferUsage(); u.Buffered != 0 || u.Chunks != 0 {
		t.Errorf("failed stream still buffers %d bytes in %d chunks", u.Buffered, u.Chunks)
	}
}

func TestStreamBufferBytesBelowReadPositionAreDuplicates(t *testing.T) {
	data := pattern(30)
	b := newTestStream(t, 0, 1000)
	mustWrite(t, b, 0, data[:20])
	readAvailable(t, b)
	// Already read bytes cannot be compared any more: accepted as duplicates.
	mustWrite(t, b, 5, data[5:25])
	if got := readAvailable(t, b); !bytes.Equal(got, data[20:25]) {
		t.Fatalf("read %v, want bytes 20..25", got)
	}
}

func TestStreamBufferFinalSize(t *testing.T) {
	b := newTestStream(t, 0, 1000)
	fin := &DataMetadata{Flags: DataFlagFin}
	mustWrite(t, b, 0, pattern(10))
	if err := b.WriteWithMetadata(5, []byte{}, fin); !errors.Is(err, ErrFinalSize) {
		t.Errorf("final size below received bytes: %v, want ErrFinalSize", err)
	}
	if err := b.WriteWithMetadata(20, pattern(5), fin); err != nil {
		t.Fatal(err)
	}
	var fe *FinalSizeError
	if err := b.Write(24, pattern(2)); !errors.As(err, &fe) || fe.FinalSize != 25 {
		t.Errorf("data past the final size: %v, want *FinalSizeError with size 25", err)
	}
	if err := b.WriteWithMetadata(0, pattern(10), fin); !errors.Is(err, ErrFinalSize) {
		t.Errorf("second, different final size: %v, want ErrFinalSize", err)
	}
	if err := b.WriteWithMetadata(20, pattern(5), fin); err != nil {
		t.Errorf("same final size again: %v", err)
	}
	// The stream is intact: no EOF until the hole [10,20) is filled and read.
	if got := readAvailable(t, b); len(got) != 10 {
		t.Fatalf("read %d bytes, want 10", len(got))
	}
	mr := b.MissingRanges()
	if !mr.FinalSizeKnown || mr.FinalSize != 25 || !slices.Equal(mr.Ranges, []Range{{10, 20}}) {
		t.Errorf("MissingRanges = %+v", mr)
	}
	mustWrite(t, b, 10, pattern(10))
	if n, err := b.Read(make([]byte, 100)); n != 15 || err != io.EOF {
		t.Errorf("Read = %d, %v; want 15, io.EOF", n, err)
	}
}

func TestStreamBufferEmptyStreamEOF(t *testing.T) {
	b := newTestStream(t, 0, 1000)
	if err := b.WriteWithMetadata(0, nil, &DataMetadata{Flags: DataFlagFin}); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("Read of an empty finished stream = %d, %v", n, err)
	}
}

func TestStreamBufferFlowControl(t *testing.T) {
	b := newTestStream(t, 0, 100)
	var fe *FlowControlError
	if err := b.Write(90, pattern(11)); !errors.As(err, &fe) || fe.Limit != 100 || fe.End != 101 {
		t.Fatalf("write past the window: %v, want *FlowControlError limit 100", err)
	}
	if u := b.GetBufferUsage(); u.Buffered != 0 {
		t.Fatal("rejected data was stored")
	}
	if err := b.Write(maxOffset, pattern(2)); !errors.Is(err, ErrFlowControl) {
		t.Fatalf("write past 2^62: %v", err)
	}
	mustWrite(t, b, 0, pattern(100))
	readAvailable(t, b)
	if l := b.Limit(); l != 200 {
		t.Fatalf("limit after reading 100 bytes = %d, want 200", l)
	}
	mustWrite(t, b, 100, pattern(100))
}

func TestStreamBufferReadPosition(t *testing.T) {
	data := pattern(100)
	b := newTestStream(t, 0, 1000)
	mustWrite(t, b, 0, data[:30])
	mustWrite(t, b, 50, data[50:60])
	if err := b.AdvanceReadPosition(10); err != nil {
		t.Fatal(err)
	}
	if err := b.SetReadPosition(5); !errors.Is(err, ErrInvalidReadPosition) {
		t.Errorf("moving back: %v, want ErrInvalidReadPosition", err)
	}
	if got := readAvailable(t, b); !bytes.Equal(got, data[10:30]) {
		t.Fatalf("after skipping 10: read %d bytes", len(got))
	}
	// Skipping over a hole and into a piece.
	if err := b.SetReadPosition(55); err != nil {
		t.Fatal(err)
	}
	if got := readAvailable(t, b); !bytes.Equal(got, data[55:60]) {
		t.Fatalf("after skipping to 55: read %v", got)
	}
	if u := b.GetBufferUsage(); u.Buffered != 0 || u.ReadPosition != 60 {
		t.Errorf("usage %+v, want nothing buffered at 60", u)
	}
}

func TestStreamBufferReleasesPooledBuffers(t *testing.T) {
	b := newTestStream(t, 0, 1<<20)
	pool := b.m.pool
	data := pattern(24 << 10)
	// A payload that lands whole in a hole is kept: the chunk owns it.
	in := pool.getSlice(8 << 10)
	copy(in, data[16<<10:])
	if _, err := b.write(16<<10, in, true, DataMetadata{}); err != nil {
		t.Fatal(err)
	}
	if k := b.chunks.first(); k.buf != nil || &k.payload()[0] != &in[0] || b.capacity != 8<<10 {
		t.Fatalf("whole payload: block %v, owned %t, %d B held; want it owned, 8 KiB held", k.buf, k.buf == nil && &k.payload()[0] == &in[0], b.capacity)
	}
	// One split by an overlap into two pieces is copied into the block and
	// its slice goes back at once.
	mustWrite(t, b, 1000, data[1000:2000])
	in = pool.getSlice(8 << 10)
	copy(in, data)
	if _, err := b.write(0, in, true, DataMetadata{}); err != nil {
		t.Fatal(err)
	}
	if k := b.chunks.first(); k.buf != b.block || b.capacity != 8<<10+blockSize {
		t.Fatalf("split payload: in the block %t, %d B held; want it copied, the block and the owned payload held", k.buf == b.block, b.capacity)
	}
	p := make([]byte, 8<<10)
	if n, _ := b.Read(p); n != 8<<10 || !bytes.Equal(p, data[:8<<10]) {
		t.Fatalf("read %d", n)
	}
	if b.capacity != 8<<10 || b.m.memory.Load() != 8<<10 {
		t.Fatalf("after reading the block's bytes: %d B held (session %d), want 8 KiB (the block went back)", b.capacity, b.m.memory.Load())
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if b.m.memory.Load() != 0 || b.capacity != 0 {
		t.Fatalf("after Close: %d B held (session %d); want none", b.capacity, b.m.memory.Load())
	}
	if _, err := b.Read(p); !errors.Is(err, ErrStreamClosed) {
		t.Fatalf("Read after Close: %v", err)
	}
}

// TestReassemblyProperty writes random overlapping pieces of a random
// string in random order, with duplicates, and reads the string back.
func TestReassemblyProperty(t *testing.T) {
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 42))
		orig := make([]byte, 1+rng.IntN(5000))
		for i := range orig {
			orig[i] = byte(rng.Uint32())
		}
		pieces := splitOverlapping(rng, len(orig))
		b := newTestStream(t, 0, uint64(len(orig)))
		var got []byte
		for _, r := range pieces {
			meta := &DataMetadata{}
			if r.End == uint64(len(orig)) {
				meta.Flags = DataFlagFin
			}
			if err := b.WriteWithMetadata(r.Start, orig[r.Start:r.End], meta); err != nil {
				t.Fatalf("seed %d: write %v: %v", seed, r, err)
			}
			if rng.IntN(4) == 0 {
				got = append(got, readAvailable(t, b)...)
			}
		}
		got = append(got, readAvailable(t, b)...)
		if !bytes.Equal(got, orig) {
			t.Fatalf("seed %d: reassembled %d bytes differ from the %d written", seed, len(got), len(orig))
		}
		if _, err := b.Read(nil); err != io.EOF {
			t.Fatalf("seed %d: no EOF after the whole stream: %v", seed, err)
		}
		// A differing overlap of buffered data is always caught.
		b2 := newTestStream(t, 0, uint64(len(orig)))
		mustWrite(t, b2, 0, orig)
		at := rng.IntN(len(orig))
		bad := slices.Clone(orig[at:])
		bad[0] ^= 1
		if err := b2.Write(uint64(at), bad); !errors.Is(err, ErrConflictingData) {
			t.Fatalf("seed %d: corrupted overlap at %d not detected: %v", seed, at, err)
		}
	}
}

// splitOverlapping covers [0, n) with random pieces that overlap, shuffled,
// with some pieces repeated.
func splitOverlapping(rng *rand.Rand, n int) []Range {
	var pieces []Range
	for start := 0; start < n; {
		end := min(n, start+1+rng.IntN(300))
		s := max(0, start-rng.IntN(50)) // overlap the previous piece
		pieces = append(pieces, Range{uint64(s), uint64(end)})
		start = end
	}
	for range len(pieces) / 3 {
		pieces = append(pieces, pieces[rng.IntN(len(pieces))])
	}
	rng.Shuffle(len(pieces), func(i, j int) { pieces[i], pieces[j] = pieces[j], pieces[i] })
	return pieces
}

// TestEveryBlockedReaderWakes blocks three readers on one stream: a write
// of two bytes read one at a time wakes two of them, each in turn (the
// first woken leaves a byte and wakes the next), and Close wakes the last.
func TestEveryBlockedReaderWakes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newTestManager(t, &PresentationConfig{GapTimeout: time.Hour})
		mustCreate(t, m, 0)
		s, _ := m.lookup(0)
		got := make(chan error, 3)
		for range 3 {
			go func() {
				var p [1]byte
				_, err := s.Read(p[:])
				got <- err
			}()
		}
		synctest.Wait()
		if err := m.WriteToStream(0, 0, []byte("ab"), nil); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		for range 2 {
			if err := <-got; err != nil {
				t.Fatalf("woken reader: %v", err)
			}
		}
		select {
		case err := <-got:
			t.Fatalf("a third reader returned (%v) with nothing left to read", err)
		default:
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := <-got; !errors.Is(err, ErrStreamClosed) {
			t.Fatalf("reader after Close: %v, want ErrStreamClosed", err)
		}
	})
}
