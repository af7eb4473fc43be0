package presentation

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// FuzzReassembly splits the input into random overlapping pieces (the seed
// drives the split), writes them shuffled with duplicates, reads everything
// back and compares; then checks that a corrupted overlap is detected.
func FuzzReassembly(f *testing.F) {
	f.Add([]byte("hello, multi-path world"), uint64(1))
	f.Add(bytes.Repeat([]byte{0}, 1000), uint64(2))
	f.Add(pattern(4096), uint64(3))
	f.Add([]byte{1}, uint64(4))
	f.Fuzz(func(t *testing.T, orig []byte, seed uint64) {
		if len(orig) == 0 || len(orig) > 1<<16 {
			return
		}
		rng := rand.New(rand.NewPCG(seed, seed>>7))
		b := newTestStream(t, 0, uint64(len(orig)))
		var got []byte
		p := make([]byte, 1+rng.IntN(512))
		for _, r := range splitOverlapping(rng, len(orig)) {
			meta := &DataMetadata{}
			if r.End == uint64(len(orig)) {
				meta.Flags = DataFlagFin
			}
			if err := b.WriteWithMetadata(r.Start, orig[r.Start:r.End], meta); err != nil {
				t.Fatalf("write %v: %v", r, err)
			}
			if err := staleKey(&b.chunks); err != nil {
				t.Fatalf("write %v: %v", r, err)
			}
			n, err := b.ReadContiguous(p)
			got = append(got, p[:n]...)
			if err != nil && err != io.EOF {
				t.Fatal(err)
			}
		}
		for {
			n, err := b.ReadContiguous(p)
			got = append(got, p[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil || n == 0 {
				t.Fatalf("stream stuck at %d of %d: %v", len(got), len(orig), err)
			}
		}
		if !bytes.Equal(got, orig) {
			t.Fatalf("reassembled bytes differ")
		}
		b2 := newTestStream(t, 0, uint64(len(orig)))
		if err := b2.Write(0, orig); err != nil {
			t.Fatal(err)
		}
		at := rng.IntN(len(orig))
		bad := slices.Clone(orig[at:min(len(orig), at+1+rng.IntN(64))])
		bad[rng.IntN(len(bad))] ^= 0x80
		if err := b2.Write(uint64(at), bad); !errors.Is(err, ErrConflictingData) {
			t.Fatalf("corrupted overlap at %d not detected: %v", at, err)
		}
	})
}

// refStream is the reference model of one stream buffer: one flag and one
// byte per offset.
type refStream struct {
	window, limit, readPos uint64
	final                  uint64
	finalKnown, failed     bool
	buffered               uint64 // received at or after readPos
	have                   []bool
	val                    []byte
}

func (r *refStream) highest() uint64 {
	for i := len(r.have) - 1; i >= 0; i-- {
		if r.have[i] {
			return uint64(i + 1)
		}
	}
	return 0
}

// write returns the error class the model expects: "", "closed", "flow",
// "final" or "conflict".
func (r *refStream) write(off uint64, data []byte, fin bool) string {
	end := off + uint64(len(data))
	switch {
	case r.failed:
		return "closed"
	case end > r.limit:
		return "flow"
	case r.finalKnown && end > r.final,
		fin && r.finalKnown && end != r.final,
		fin && end < max(r.highest(), r.readPos):
		return "final"
	}
	if fin && !r.finalKnown {
		r.finalKnown, r.final = true, end
	}
	for i := max(off, r.readPos); i < end; i++ {
		if r.have[i] && r.val[i] != data[i-off] {
			r.failed = true
			return "conflict"
		}
	}
	for i := max(off, r.readPos); i < end; i++ {
		if !r.have[i] {
			r.buffered++
		}
		r.have[i], r.val[i] = true, data[i-off]
	}
	return ""
}

func (r *refStream) read(n int) ([]byte, bool) {
	var out []byte
	for len(out) < n && r.readPos < uint64(len(r.have)) && r.have[r.readPos] {
		out = append(out, r.val[r.readPos])
		r.readPos++
		r.buffered--
	}
	if len(out) > 0 {
		r.limit = max(r.limit, r.readPos+r.window)
	}
	return out, r.finalKnown && r.readPos == r.final
}

func errClass(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrStreamClosed):
		return "closed"
	case errors.Is(err, ErrFlowControl):
		return "flow"
	case errors.Is(err, ErrFinalSize):
		return "final"
	case errors.Is(err, ErrConflictingData):
		return "conflict"
	}
	return "other: " + err.Error()
}

// FuzzWriteSequence runs a sequence of WriteToStream calls (offset, length,
// FIN, corruption, pooled or copied) and non-blocking reads through a
// manager against the reference model. Byte 0 sets the window; each op is
// 5 bytes: kind, offset (2), length, argument.
func FuzzWriteSequence(f *testing.F) {
	f.Add([]byte{0x40, 0, 0, 10, 20, 0, 0, 0, 0, 20, 0, 1, 0, 0, 30, 3, 0, 0, 0, 200})
	f.Add([]byte{0xff, 0, 0, 50, 100, 1, 1, 0, 0, 50, 0, 3, 0, 0, 0, 200, 2, 0, 0, 0, 0})
	f.Add([]byte{0x10, 4, 0, 1, 30, 0, 0, 0, 0, 40, 0, 0, 0, 30, 2, 10, 1, 0, 0, 0, 0})
	f.Add([]byte{0x02, 1, 0, 0, 32, 1, 3, 0, 0, 0, 16, 0, 0, 16, 16, 3, 3, 0, 0, 0, 64})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) < 1 || len(ops) > 5000 {
			return
		}
		const size = 1 << 12
		window := 1 + uint64(ops[0])*16
		ops = ops[1:]
		m, err := newDataPresentationManager(&PresentationConfig{MinStreamWindow: window, InitialStreamWindow: window, MaxStreamWindow: window})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = m.Close() }()
		if err := m.CreateStreamBuffer(0, nil); err != nil {
			t.Fatal(err)
		}
		content := func(i uint64) byte { return byte(i*7 + 3) }
		ref := &refStream{window: window, limit: window, have: make([]bool, size+256), val: make([]byte, size+256)}
		p := make([]byte, 256)
		for ; len(ops) >= 5; ops = ops[5:] {
			kind, off, n, arg := ops[0]%4, uint64(binary.BigEndian.Uint16(ops[1:3]))%size, uint64(ops[3]), ops[4]
			switch kind {
			case 0, 1, 2: // write, with FIN for kind 1, corrupted for kind 2
				data := make([]byte, n)
				if arg&1 == 1 {
					data = m.GetBuffer(int(n))
				}
				for i := range data {
					data[i] = content(off + uint64(i))
				}
				if kind == 2 && n > 0 {
					data[uint64(arg)%n] ^= 1
				}
				meta := &DataMetadata{PathID: uint64(arg)}
				if kind == 1 {
					meta.Flags |= DataFlagFin
				}
				if arg&1 == 1 {
					meta.Flags |= DataFlagPooled
				}
				want := ref.write(off, data, kind == 1)
				if got := errClass(m.WriteToStream(0, off, data, meta)); got != want {
					t.Fatalf("write [%d, %d) fin=%t: got error class %q, model says %q", off, off+n, kind == 1, got, want)
				}
			case 3: // non-blocking read of up to arg bytes
				wantData, wantEOF := ref.read(int(arg))
				got, err := m.ReadFromStreamWithTimeout(0, p[:arg], 0)
				switch {
				case ref.failed:
					if !errors.Is(err, ErrConflictingData) {
						t.Fatalf("read of failed stream: %v", err)
					}
					continue
				case arg > 0 && len(wantData) == 0 && !wantEOF:
					if !errors.Is(err, os.ErrDeadlineExceeded) {
						t.Fatalf("read at a hole: %d, %v; want a timeout", got, err)
					}
					continue
				}
				if !bytes.Equal(p[:got], wantData) || (err == io.EOF) != wantEOF || (err != nil && err != io.EOF) {
					t.Fatalf("read: got %d bytes, %v; model %d bytes, eof=%t", got, err, len(wantData), wantEOF)
				}
			}
			if !ref.failed {
				if got, _ := m.StreamLimit(0); got != ref.limit {
					t.Fatalf("limit %d, model %d", got, ref.limit)
				}
				if got := m.rwm.used.Load(); got != ref.buffered {
					t.Fatalf("session buffers %d bytes, model %d", got, ref.buffered)
				}
			}
		}
		if n := leakedBytes(m); n != 0 {
			t.Fatalf("%d bytes of buffers counted as held that no stream reaches", n)
		}
	})
}
