package presentation

import (
	"encoding/binary"
	"errors"
	"runtime"
	"testing"
	"unsafe"
)

// TestRangeLimit: one disjoint range too many is refused with a
// *RangeLimitError and nothing is stored; bytes that touch a range held
// are still taken, and so is the next range once the reader moved on.
func TestRangeLimit(t *testing.T) {
	const limit = 16
	m := newTestManager(t, &PresentationConfig{InitialStreamWindow: 64 << 10, MinStreamWindow: 64 << 10, MaxStreamRanges: limit})
	mustCreate(t, m, 0)
	for i := range limit {
		if err := m.WriteToStream(0, uint64(2*i+1), []byte{1}, nil); err != nil {
			t.Fatalf("range %d: %v", i, err)
		}
	}
	var rl *RangeLimitError
	err := m.WriteToStream(0, 2*limit+1, []byte{1}, nil)
	if !errors.As(err, &rl) || !errors.Is(err, ErrTooManyRanges) || rl.Limit != limit || rl.Ranges != limit || rl.Session {
		t.Fatalf("range %d: %v; want a RangeLimitError for the stream at %d", limit, err, limit)
	}
	if got := m.rwm.used.Load(); got != limit {
		t.Fatalf("%d bytes buffered after the refused write, want %d", got, limit)
	}
	// Touching a range held (2*limit is next to 2*limit-1) opens none.
	if err := m.WriteToStream(0, 2*limit, []byte{1, 1}, nil); err != nil {
		t.Fatalf("bytes touching a range: %v", err)
	}
	// The reader's own range does not count: fill the holes and read.
	for i := range limit {
		if err := m.WriteToStream(0, uint64(2*i), []byte{1}, nil); err != nil {
			t.Fatalf("hole %d: %v", i, err)
		}
	}
	p := make([]byte, 4*limit)
	if n, err := m.ReadFromStreamWithTimeout(0, p, 0); n != 2*limit+2 || err != nil {
		t.Fatalf("read %d, %v; want %d", n, err, 2*limit+2)
	}
	for i := range limit {
		if err := m.WriteToStream(0, uint64(4*limit+2*i), []byte{1}, nil); err != nil {
			t.Fatalf("range %d after the read: %v", i, err)
		}
	}
}

// TestSessionRangeLimit: the ranges of every stream count toward the
// session's bound.
func TestSessionRangeLimit(t *testing.T) {
	const limit = 8
	m := newTestManager(t, &PresentationConfig{SessionWindow: 64 << 10, InitialStreamWindow: 16 << 10, MinStreamWindow: 16 << 10, MaxSessionRanges: limit})
	for _, id := range []uint64{0, 4} {
		mustCreate(t, m, id)
	}
	for i := range limit {
		if err := m.WriteToStream(uint64(4*(i%2)), uint64(2*i+1), []byte{1}, nil); err != nil {
			t.Fatalf("range %d: %v", i, err)
		}
	}
	var rl *RangeLimitError
	if err := m.WriteToStream(4, 1001, []byte{1}, nil); !errors.As(err, &rl) || !rl.Session || rl.Limit != limit {
		t.Fatalf("range %d of the session: %v; want the session's RangeLimitError", limit, err)
	}
	// A stream that ends gives its ranges back.
	if err := m.RemoveStreamBuffer(0); err != nil {
		t.Fatal(err)
	}
	if got := m.ranges.Load(); got != limit/2 {
		t.Fatalf("session counts %d ranges after removing a stream, want %d", got, limit/2)
	}
	if err := m.WriteToStream(4, 1001, []byte{1}, nil); err != nil {
		t.Fatal(err)
	}
}

// checkMemory checks the accounting of stream id against what it holds
// and against the bound.
func checkMemory(t *testing.T, m *dataPresentationManager, id uint64) {
	t.Helper()
	s, err := m.lookup(id)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h := holdingsOf(s)
	switch capacity := h.bytes(); {
	case h.live != s.buffered:
		t.Fatalf("chunks hold %d bytes, the stream counts %d", h.live, s.buffered)
	case capacity != s.capacity:
		t.Fatalf("buffers of %d bytes held, the stream counts %d", capacity, s.capacity)
	case s.memLocked() > s.memLimitLocked():
		t.Fatalf("memory %d beyond the bound %d (window %d, %d chunks, %d bytes)", s.memLocked(), s.memLimitLocked(), s.window, s.chunks.len(), s.buffered)
	}
	if maxChunks := 2*int(s.buffered/mergeMax) + 2*s.fragmentsLocked() + 4; s.chunks.len() > maxChunks {
		t.Fatalf("%d chunks for %d bytes in %d ranges: small touching chunks were not merged", s.chunks.len(), s.buffered, s.fragmentsLocked())
	}
}

// FuzzMemoryBound runs arbitrary sequences of writes (copied or pooled,
// any size and offset), reads and skips, and checks after each that the
// stream's memory is what it holds and stays within 2 × window + 2 blocks,
// and that no buffer is lost. Each op is 4 bytes: kind, offset (2 bytes,
// in units of the first byte), length.
func FuzzMemoryBound(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 1, 0, 0, 2, 1, 0, 0, 4, 1})                 // 1-byte frames, every other offset
	f.Add([]byte{1, 0, 0, 9, 1, 0, 0, 8, 1, 0, 0, 7, 1, 0, 0, 6, 1})     // descending, touching
	f.Add([]byte{64, 1, 0, 0, 200, 1, 0, 3, 200, 2, 0, 0, 255, 3, 0, 0}) // pooled frames, a read, a skip
	f.Add([]byte{3, 1, 0, 0, 200, 1, 0, 250, 200, 2, 0, 0, 100})         // pooled 800 B payloads kept whole, a partial read
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) < 1 || len(ops) > 8000 {
			return
		}
		unit := uint64(1 + ops[0]%64)
		ops = ops[1:]
		const window = 256 << 10
		m := newTestManager(t, &PresentationConfig{InitialStreamWindow: window, MinStreamWindow: window, MaxStreamWindow: window, MaxStreamRanges: 1 << 20})
		mustCreate(t, m, 0)
		p := make([]byte, 64<<10)
		for ; len(ops) >= 4; ops = ops[4:] {
			off := uint64(binary.BigEndian.Uint16(ops[1:3])) * unit
			n := int(ops[3]) * int(unit)
			switch ops[0] % 4 {
			case 0: // copied
				_ = m.WriteToStream(0, off, make([]byte, n), nil)
			case 1: // pooled
				_ = m.WriteToStream(0, off, m.GetBuffer(n), &DataMetadata{Flags: DataFlagPooled})
			case 2:
				_, _ = m.ReadFromStreamWithTimeout(0, p[:min(n, len(p))], 0)
			case 3:
				if s, err := m.lookup(0); err == nil {
					_ = s.AdvanceReadPosition(uint64(n))
				}
			}
			checkMemory(t, m, 0)
		}
		if n := leakedBytes(m); n != 0 {
			t.Fatalf("%d bytes of buffers held that no stream reaches", n)
		}
		if err := m.RemoveStreamBuffer(0); err != nil {
			t.Fatal(err)
		}
		if m.memory.Load() != 0 || m.ranges.Load() != 0 {
			t.Fatalf("after removal: %d bytes, %d ranges still counted", m.memory.Load(), m.ranges.Load())
		}
	})
}

// TestHeapFollowsAccounting: for the patterns that used to cost a KiB of
// heap per byte, the heap a stream retains (after GC) stays within twice
// what the stream accounts, and within its bound.
func TestHeapFollowsAccounting(t *testing.T) {
	const window = 8 << 20
	for _, tc := range []struct {
		name  string
		write func(m *dataPresentationManager, i int) error
	}{
		{"1-byte frames at every other offset", func(m *dataPresentationManager, i int) error {
			return m.WriteToStream(0, uint64(2*i+1), []byte{1}, nil)
		}},
		{"1-byte frames, descending and touching", func(m *dataPresentationManager, i int) error {
			return m.WriteToStream(0, uint64(1<<20-i), []byte{1}, nil)
		}},
		{"pooled 5 KiB frames pinned by 1 byte each", func(m *dataPresentationManager, i int) error {
			off := uint64(i) * 5 << 10
			if err := m.WriteToStream(0, off+1, m.GetBuffer(5<<10-1), &DataMetadata{Flags: DataFlagPooled}); err != nil {
				return err
			}
			b := m.GetBuffer(5 << 10)
			return m.WriteToStream(0, off, b, &DataMetadata{Flags: DataFlagPooled})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newTestManager(t, &PresentationConfig{SessionWindow: 2 * window, InitialStreamWindow: window, MaxStreamWindow: window, MaxStreamRanges: 1 << 20, MaxSessionRanges: 1 << 20})
			mustCreate(t, m, 0)
			s, _ := m.lookup(0)
			before := heapAlloc()
			frames := 0
			for i := 0; ; i++ {
				if err := tc.write(m, i); err != nil {
					break
				}
				frames++
				if frames == 100_000 {
					break
				}
			}
			grown := int64(heapAlloc()) - int64(before)
			s.mu.Lock()
			mem, limit, buffered := s.memLocked(), s.memLimitLocked(), s.buffered
			s.mu.Unlock()
			t.Logf("%d writes, %d bytes buffered: heap %+d B, accounted %d B (bound %d)", frames, buffered, grown, mem, limit)
			if grown > int64(mem)*5/4+256<<10 || mem > limit {
				t.Fatalf("heap %+d B for %d accounted (bound %d)", grown, mem, limit)
			}
			runtime.KeepAlive(m)
		})
	}
}

// TestChunkCostCoversBlock: what a chunk is charged pays for its share of
// a list block that a split left half full, with the block's pointer and
// last key in the list's slices (which appends may leave half used).
func TestChunkCostCoversBlock(t *testing.T) {
	if size := unsafe.Sizeof(block[chunk]{}) + 2*(unsafe.Sizeof(&block[chunk]{})+unsafe.Sizeof(uint64(0))); chunkCost*(blockCap/2) < size {
		t.Fatalf("a list block is %d B; %d chunks are charged %d B", size, blockCap/2, chunkCost*(blockCap/2))
	}
}

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
