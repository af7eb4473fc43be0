package presentation

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// The benchmarks write a 16 MiB window of chunks in shuffled order into one
// stream and read it back in order; BenchmarkMemcpy copies the same bytes in
// the same chunks, so that benchstat shows both in one run:
//
//	go test -run XXX -bench . -benchmem -count 6 ./pkg/presentation | tee out; benchstat out

const benchSpan = 16 << 20

var benchChunks = []int{1 << 10, 16 << 10, 64 << 10}

// shuffledOffsets returns the chunk offsets of the span in a fixed random order.
func shuffledOffsets(chunk int) []uint64 {
	offs := make([]uint64, benchSpan/chunk)
	for i := range offs {
		offs[i] = uint64(i * chunk)
	}
	rng := rand.New(rand.NewPCG(1, uint64(chunk)))
	rng.Shuffle(len(offs), func(i, j int) { offs[i], offs[j] = offs[j], offs[i] })
	return offs
}

func benchManager(b *testing.B) *dataPresentationManager {
	m := newTestManager(b, &PresentationConfig{
		SessionWindow:       2 * benchSpan,
		InitialStreamWindow: benchSpan,
		MaxStreamWindow:     benchSpan,
		GapTimeout:          time.Hour,
		// A uniform shuffle of 16 MiB of 1 KiB pieces leaves ~4096
		// disjoint ranges at once, far more than any real sender.
		MaxStreamRanges:  benchSpan >> 10,
		MaxSessionRanges: benchSpan >> 10,
	})
	mustCreate(b, m, 0)
	return m
}

// benchPresentation writes and reads the span b.N times. pooled: payloads
// come from GetBuffer and are stored without copying (the data plane's
// path: its read from the network into the buffer is not counted, as in
// memcpy); otherwise they are copied in from a source slice.
func benchPresentation(b *testing.B, m *dataPresentationManager, chunk int, pooled bool) {
	offs := shuffledOffsets(chunk)
	src := pattern(benchSpan)
	dst := make([]byte, benchSpan)
	meta := &DataMetadata{}
	if pooled {
		meta.Flags = DataFlagPooled
	}
	b.SetBytes(benchSpan)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		base := uint64(i) * benchSpan
		for _, off := range offs {
			data := src[off : off+uint64(chunk)]
			if pooled {
				data = m.GetBuffer(chunk)
			}
			if err := m.WriteToStream(0, base+off, data, meta); err != nil {
				b.Fatal(err)
			}
		}
		for got := 0; got < benchSpan; {
			n, err := m.ReadFromStream(0, dst[got:got+chunk])
			if err != nil {
				b.Fatal(err)
			}
			got += n
		}
	}
}

func BenchmarkPresentation(b *testing.B) {
	for _, chunk := range benchChunks {
		b.Run(fmt.Sprintf("chunk=%dKiB", chunk>>10), func(b *testing.B) {
			benchPresentation(b, benchManager(b), chunk, true)
		})
	}
}

func BenchmarkPresentationCopy(b *testing.B) {
	for _, chunk := range benchChunks {
		b.Run(fmt.Sprintf("chunk=%dKiB", chunk>>10), func(b *testing.B) {
			benchPresentation(b, benchManager(b), chunk, false)
		})
	}
}

func BenchmarkMemcpy(b *testing.B) {
	for _, chunk := range benchChunks {
		b.Run(fmt.Sprintf("chunk=%dKiB", chunk>>10), func(b *testing.B) {
			offs := shuffledOffsets(chunk)
			src := pattern(benchSpan)
			dst := make([]byte, benchSpan)
			b.SetBytes(benchSpan)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				for _, off := range offs {
					copy(dst[off:off+uint64(chunk)], src[off:off+uint64(chunk)])
				}
			}
		})
	}
}

// BenchmarkPool compares the pooled path with plain allocation of every
// receive buffer.
func BenchmarkPool(b *testing.B) {
	for _, on := range []bool{true, false} {
		for _, chunk := range benchChunks {
			b.Run(fmt.Sprintf("pool=%t/chunk=%dKiB", on, chunk>>10), func(b *testing.B) {
				m := benchManager(b)
				m.pool.disabled = !on
				benchPresentation(b, m, chunk, true)
			})
		}
	}
}

// BenchmarkWriteBatch compares WriteBatch with one WriteToStream per frame
// (it decided that WriteBatch stays a plain loop, see parallel_processor.go):
// batches of 32 pooled 1 KiB frames, in runs of 4 frames per stream, over
// 8 streams, then every stream is read back.
func BenchmarkWriteBatch(b *testing.B) {
	const (
		frame   = 1 << 10
		streams = 8
		batch   = 32
		run     = 4
		span    = 1 << 20 // per stream per op
	)
	for _, batched := range []bool{true, false} {
		name := "mode=loop"
		if batched {
			name = "mode=batch"
		}
		b.Run(name, func(b *testing.B) {
			m := newTestManager(b, &PresentationConfig{SessionWindow: 2 * streams * span, InitialStreamWindow: span, MaxStreamWindow: span, GapTimeout: time.Hour})
			for s := range streams {
				mustCreate(b, m, uint64(4*s))
			}
			writes := make([]StreamWrite, batch)
			dst := make([]byte, 64<<10)
			b.SetBytes(streams * span)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				base := uint64(i) * span
				// Frame k of the op goes to stream (k/run)%streams at its next offset.
				var next [streams]uint64
				for k := 0; k < streams*span/frame; k += batch {
					for j := range writes {
						sid := ((k + j) / run) % streams
						writes[j] = StreamWrite{StreamID: uint64(4 * sid), Offset: base + next[sid], Data: m.GetBuffer(frame), Meta: DataMetadata{Flags: DataFlagPooled}}
						next[sid] += frame
					}
					if batched {
						if n := m.WriteBatch(writes); n != 0 {
							b.Fatal(writes[0].Err)
						}
						continue
					}
					for j := range writes {
						w := &writes[j]
						if err := m.WriteToStream(w.StreamID, w.Offset, w.Data, &w.Meta); err != nil {
							b.Fatal(err)
						}
					}
				}
				for s := range streams {
					for got := 0; got < span; {
						n, err := m.ReadFromStream(uint64(4*s), dst)
						if err != nil {
							b.Fatal(err)
						}
						got += n
					}
				}
			}
		})
	}
}

// BenchmarkRangeSetAdd adds the 1 KiB pieces of a 16 MiB span in shuffled
// order (up to ~4000 disjoint ranges at once) to a stream's received set,
// which is its chunk list (there is no separate range set any more), and
// reads the span once it is complete; ns/op is per piece.
func BenchmarkRangeSetAdd(b *testing.B) {
	offs := shuffledOffsets(1 << 10)
	m := benchManager(b)
	dst := make([]byte, benchSpan)
	meta := &DataMetadata{Flags: DataFlagPooled}
	b.ReportAllocs()
	k, base := 0, uint64(0)
	for b.Loop() {
		if k == len(offs) {
			if n, err := m.ReadFromStream(0, dst); err != nil || n == 0 {
				b.Fatal(n, err)
			}
			for got, _ := m.StreamLimit(0); got < base+2*benchSpan; got, _ = m.StreamLimit(0) {
				if _, err := m.ReadFromStream(0, dst); err != nil {
					b.Fatal(err)
				}
			}
			k, base = 0, base+benchSpan
		}
		if err := m.WriteToStream(0, base+offs[k], m.GetBuffer(1<<10), meta); err != nil {
			b.Fatal(err)
		}
		k++
	}
}
