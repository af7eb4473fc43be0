package wire

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
	"testing/iotest"
)

// maxSeedLen keeps the big boundary frames out of the fuzzers' seeds: the
// mutator is slow on megabyte inputs, and those frames take the same code
// paths as their small versions.
const maxSeedLen = 4096

// invalidSeeds are malformed inputs that start the fuzzers near the checks.
func invalidSeeds() [][]byte {
	return [][]byte{
		nil,
		{0x40},
		rawFrame(0x06),
		cat(vi(uint64(FramePing)), vi(MaxControlFrameSize+1)),
		rawFrame(FramePing, vi(1), []byte{0}),
		rawFrame(FrameClientHello, vi(1), lp(5), vi(0), lp(0)),
		rawFrame(FrameMissingRanges, vi(1), vi(4), vi(0), vi(0), vi(5000)),
		rawFrame(FrameMissingRanges, vi(1), vi(4), vi(0), vi(0), vi(2), vi(0), vi(10), vi(9), vi(12)),
		rawFrame(FrameDeliveryReport, vi(2), vi(0), vi(4), vi(1)),
		rawFrame(FramePathStatus, vi(1), vi(6), lp(0)),
		rawFrame(FrameAssignRange, vi(1), vi(0), vi(0), vi(0), lp(32)),
		rawFrame(FrameAssignRange, vi(1), vi(0), vi(0), vi(MaxPieceLen+1), lp(32)),
		rawFrame(FrameAssignRange, vi(1), vi(0), vi(MaxVarint), vi(1), lp(32)),
		rawFrame(FrameAssignRange, vi(1), vi(0), vi(0), vi(10), lp(31)),
		rawFrame(FrameWithdrawRange, vi(1), vi(0), vi(MaxVarint), vi(2)),
		rawFrame(FramePieceFailed, vi(1), vi(0), vi(0), vi(10), vi(3)),
	}
}

func addControlSeeds(f *testing.F) {
	for _, nf := range validFrames() {
		if enc := mustAppend(f, nf.frame); len(enc) <= maxSeedLen {
			f.Add(enc)
		}
	}
	for _, in := range invalidSeeds() {
		f.Add(in)
	}
	for _, in := range declaredOnlySeeds() {
		f.Add(in)
	}
}

// declaredOnlySeeds are frame headers that declare the largest body of
// their type and carry a byte of it: the inputs that made old readers
// allocate what a peer declared rather than what it sent.
func declaredOnlySeeds() [][]byte {
	var seeds [][]byte
	for ft, spec := range controlFrames {
		seeds = append(seeds, cat(vi(uint64(ft)), vi(uint64(spec.maxBody)), []byte{0}))
	}
	return seeds
}

// FuzzParseControlFrame checks that any input either parses into a frame
// that re-encodes to an equal frame, or gives an *Error; that
// ReadControlFrame agrees with ParseControlFrame; and that reading it
// allocates no more than maxDecodeAlloc of its length, whatever it declares.
func FuzzParseControlFrame(f *testing.F) {
	addControlSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		frame, n, err := ParseControlFrame(data)
		var rframe Frame
		var rerr error
		if got := allocated(func() { rframe, rerr = ReadControlFrame(bytes.NewReader(data)) }); got > maxDecodeAlloc(len(data)) {
			t.Fatalf("reading %d bytes allocated %d, want ≤ %d", len(data), got, maxDecodeAlloc(len(data)))
		}
		if err != nil {
			asWireError(t, err)
			if frame != nil || n != 0 {
				t.Fatalf("ParseControlFrame returned %v, %d with error %v", frame, n, err)
			}
			if rerr == nil {
				t.Fatalf("ReadControlFrame accepted %x as %+v; ParseControlFrame said %v", data, rframe, err)
			}
			return
		}
		if n <= 0 || n > len(data) {
			t.Fatalf("ParseControlFrame consumed %d of %d bytes", n, len(data))
		}
		if rerr != nil || !reflect.DeepEqual(rframe, frame) {
			t.Fatalf("ReadControlFrame = %+v, %v; ParseControlFrame = %+v", rframe, rerr, frame)
		}
		enc, err := frame.Append(nil)
		if err != nil {
			t.Fatalf("decoded %+v but cannot encode it: %v", frame, err)
		}
		if len(enc) > n {
			t.Fatalf("re-encoding %d bytes gave %d: encodings must be minimal", n, len(enc))
		}
		again, n2, err := ParseControlFrame(enc)
		if err != nil || n2 != len(enc) || !reflect.DeepEqual(again, frame) {
			t.Fatalf("re-encoded frame parses as %+v, %d, %v; want %+v", again, n2, err, frame)
		}
	})
}

// FuzzReadControlFrame reads a stream of frames through a small bufio.Reader
// (bodies both in place and copied) and checks that it yields what walking
// the same bytes with ParseControlFrame yields, that re-encoding the frames
// gives a stream that reads back the same, and that reading allocates no
// more than maxDecodeAlloc of the input's length.
func FuzzReadControlFrame(f *testing.F) {
	var stream []byte
	for _, nf := range validFrames() {
		if enc := mustAppend(f, nf.frame); len(enc) <= maxSeedLen/4 {
			stream = append(stream, enc...)
			f.Add(enc)
		}
	}
	f.Add(stream)
	for _, in := range append(invalidSeeds(), declaredOnlySeeds()...) {
		f.Add(append(bytes.Clone(stream[:40]), in...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReaderSize(bytes.NewReader(data), 64)
		var frames []Frame
		var readErr error
		got := allocated(func() {
			for {
				frame, err := ReadControlFrame(r)
				if err != nil {
					readErr = err
					break
				}
				frames = append(frames, frame)
			}
		})
		if got > maxDecodeAlloc(len(data)) {
			t.Fatalf("reading %d bytes allocated %d, want ≤ %d", len(data), got, maxDecodeAlloc(len(data)))
		}
		rest := data
		for i, want := range frames {
			got, n, err := ParseControlFrame(rest)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("frame %d: ParseControlFrame = %+v, %v; ReadControlFrame = %+v", i, got, err, want)
			}
			rest = rest[n:]
		}
		if len(rest) == 0 {
			if readErr != io.EOF {
				t.Fatalf("input consumed exactly, but the last read gave %v, want io.EOF", readErr)
			}
		} else {
			asWireError(t, readErr)
			if _, _, err := ParseControlFrame(rest); err == nil {
				t.Fatalf("ReadControlFrame failed with %v where ParseControlFrame succeeds", readErr)
			}
		}

		var reencoded []byte
		for _, frame := range frames {
			var err error
			if reencoded, err = frame.Append(reencoded); err != nil {
				t.Fatalf("cannot re-encode %+v: %v", frame, err)
			}
		}
		rr := bytes.NewReader(reencoded)
		for i, want := range frames {
			got, err := ReadControlFrame(rr)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("re-encoded frame %d reads as %+v, %v; want %+v", i, got, err, want)
			}
		}
		if _, err := ReadControlFrame(rr); err != io.EOF {
			t.Fatalf("re-encoded stream does not end cleanly: %v", err)
		}
	})
}

// FuzzStreamHeader checks that ParseStreamHeader and ReadStreamHeader agree,
// that accepted headers respect the limits and round-trip, and that lane
// magic checks never panic.
func FuzzStreamHeader(f *testing.F) {
	for _, h := range validStreamHeaders() {
		enc, _ := h.Append(nil)
		f.Add(enc)
	}
	f.Add(AppendLaneMagic(nil))
	f.Add(cat(vi(0x08), vi(0), vi(0), vi(MaxStreamPayload+1)))
	f.Add(cat(vi(0x09), vi(0), vi(MaxVarint), vi(1)))
	f.Add([]byte{0x04, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		ReadLaneMagic(bytes.NewReader(data))

		h, n, err := ParseStreamHeader(data)
		rh, rerr := ReadStreamHeader(bytes.NewReader(data))
		if err != nil {
			asWireError(t, err)
			if rerr == nil {
				t.Fatalf("ReadStreamHeader accepted %x as %+v; ParseStreamHeader said %v", data, rh, err)
			}
			if bh, berr := ReadStreamHeader(bufio.NewReader(bytes.NewReader(data))); berr == nil ||
				(len(data) > 0 && errors.Is(err, ErrTruncated) != errors.Is(berr, ErrTruncated)) {
				t.Fatalf("from a bufio.Reader: %+v, %v; ParseStreamHeader said %v", bh, berr, err)
			}
			if len(data) > 0 && errors.Is(err, ErrTruncated) != errors.Is(rerr, ErrTruncated) {
				t.Fatalf("truncation reported differently: %v vs %v", err, rerr)
			}
			return
		}
		if rerr != nil || rh != h {
			t.Fatalf("ReadStreamHeader = %+v, %v; ParseStreamHeader = %+v", rh, rerr, h)
		}
		// From a bufio.Reader the header is parsed in place when the
		// buffer holds it (size 4096) and read byte by byte when the
		// buffer ends inside it (size 16, the smallest bufio allows, and
		// a reader that gives one byte per Read).
		for _, br := range []*bufio.Reader{
			bufio.NewReaderSize(bytes.NewReader(data), 4096),
			bufio.NewReaderSize(bytes.NewReader(data), 16),
			bufio.NewReaderSize(iotest.OneByteReader(bytes.NewReader(data)), 16),
		} {
			bh, berr := ReadStreamHeader(br)
			rest, _ := io.ReadAll(br)
			if berr != nil || bh != h || !bytes.Equal(rest, data[n:]) {
				t.Fatalf("from a bufio.Reader: %+v, %v, %d bytes left; want %+v, %d left", bh, berr, len(rest), h, len(data)-n)
			}
		}
		if n <= 0 || n > len(data) || h.Length < 0 || h.Length > MaxStreamPayload || h.Offset > MaxVarint-uint64(h.Length) {
			t.Fatalf("accepted an out-of-range header %+v (%d bytes)", h, n)
		}
		enc, err := h.Append(nil)
		if err != nil {
			t.Fatalf("cannot re-encode %+v: %v", h, err)
		}
		again, n2, err := ParseStreamHeader(enc)
		if err != nil || again != h || n2 != len(enc) || n2 > n {
			t.Fatalf("re-encoded header parses as %+v, %d, %v; want %+v", again, n2, err, h)
		}
	})
}
