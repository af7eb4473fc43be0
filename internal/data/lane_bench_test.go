package data

import (
	"bytes"
	"context"
	"testing"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/wire"
)

// memLane is a lane held in memory that returns at most chunk bytes per
// Read, as quic-go returns what one packet carried.
type memLane struct {
	b     []byte
	chunk int
}

func (m *memLane) Read(p []byte) (int, error) {
	if len(m.b) == 0 {
		return 0, errLaneEnd
	}
	n := copy(p[:min(len(p), m.chunk)], m.b)
	m.b = m.b[n:]
	return n, nil
}

func (m *memLane) CancelRead(quic.StreamErrorCode) {}

var errLaneEnd = &PathError{Reason: "end of the benchmark's lane"}

// poolHandler admits every frame and gives its buffer straight back.
type poolHandler struct{ pool [][]byte }

func (h *poolHandler) Admit(wire.StreamHeader) error { return nil }
func (h *poolHandler) Buffer(n int) []byte {
	if k := len(h.pool); k > 0 {
		b := h.pool[k-1]
		h.pool = h.pool[:k-1]
		return b[:n]
	}
	return make([]byte, n, MaxPayloadSegment)
}
func (h *poolHandler) PutBuffer(b []byte) { h.pool = append(h.pool, b) }
func (h *poolHandler) Deliver(_ wire.StreamHeader, b []byte) error {
	h.PutBuffer(b)
	return nil
}

// BenchmarkReadLane is the receiver's own cost per byte: a lane of frames
// of one size read from memory, in reads of at most a packet's payload,
// with no work on delivery. What quic-go and the presentation layer cost
// is not in it.
func BenchmarkReadLane(b *testing.B) {
	for _, size := range []int{1 << 10, 32 << 10} {
		b.Run(map[int]string{1 << 10: "frame=1KiB", 32 << 10: "frame=32KiB"}[size], func(b *testing.B) {
			const total = 16 << 20
			lane := wire.AppendLaneMagic(nil)
			payload := bytes.Repeat([]byte{'k'}, size)
			for off := 0; off < total; off += size {
				lane, _ = wire.StreamHeader{StreamID: 4, Offset: uint64(off), Length: size}.Append(lane)
				lane = append(lane, payload...)
			}
			h := &poolHandler{}
			b.SetBytes(total)
			b.ReportAllocs()
			for b.Loop() {
				if err := readLane(context.Background(), &memLane{b: lane, chunk: 1200}, h); err != errLaneEnd {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestReadLaneMixedFrames reads frames on both sides of largeFrame, with
// every way quic-go may cut the lane into reads, and checks that each
// payload arrives whole and in order: the buffer and the direct reads
// around it must hand over at the right byte.
func TestReadLaneMixedFrames(t *testing.T) {
	sizes := []int{100, largeFrame - 1, largeFrame, 40000, 3, MaxPayloadSegment, 0, 70000, 5, headerFill}
	var want bytes.Buffer
	lane := wire.AppendLaneMagic(nil)
	for i, n := range sizes {
		p := bytes.Repeat([]byte{byte('a' + i)}, n)
		lane, _ = wire.StreamHeader{StreamID: 4, Offset: uint64(want.Len()), Length: n}.Append(lane)
		lane = append(lane, p...)
		want.Write(p)
	}
	for _, chunk := range []int{1, 7, 1200, 1 << 20} {
		h := &collectHandler{}
		if err := readLane(context.Background(), &memLane{b: lane, chunk: chunk}, h); err != errLaneEnd {
			t.Fatalf("reads of %d bytes: %v", chunk, err)
		}
		if !bytes.Equal(h.got.Bytes(), want.Bytes()) {
			t.Fatalf("reads of %d bytes: %d bytes delivered differ from the %d sent", chunk, h.got.Len(), want.Len())
		}
	}
}

// collectHandler admits every frame and keeps its bytes, checking that
// they come in offset order.
type collectHandler struct {
	poolHandler
	got bytes.Buffer
}

func (h *collectHandler) Deliver(hdr wire.StreamHeader, b []byte) error {
	if hdr.Offset != uint64(h.got.Len()) {
		return &PathError{Reason: "out of order"}
	}
	h.got.Write(b)
	return nil
}
