package wire

import (
	"bytes"
	"errors"
	"github.com/kwik-transport/kwik/pkg/presentation"
	"io"
	"runtime"
	"testing"

	"github.com/quic-go/quic-go/quicvarint"
)

// largestFrames returns, for every control frame type, the frame with
// every field at its largest encoding.
func largestFrames() []Frame {
	sid := filled(SessionIDLen, 1)
	reason := string(filled(MaxReasonLen, 'r'))
	ranges := make([]presentation.Range, MaxRanges)
	for i := range ranges {
		ranges[i] = presentation.Range{Start: 1<<61 + uint64(2*i), End: 1<<61 + uint64(2*i+1)}
	}
	deliveries := make([]Delivery, MaxDeliveries)
	for i := range deliveries {
		deliveries[i] = Delivery{PathID: MaxVarint, StreamID: MaxVarint, Bytes: MaxVarint}
	}
	const m = MaxVarint
	rawData := MaxControlFrameSize - 3*maxVarintLen - bytesLen(MACLen) - 4 // 4: the varint of Data's length
	return []Frame{
		&ClientHello{Version: m, SessionID: sid, PathID: m, Token: filled(MaxTokenLen, 2), MaxStreams: m, InitialStreamWindow: m, MaxAssignments: m},
		&ServerHello{Version: m, SessionID: sid, PathID: m, Role: RoleSecondary, MaxStreams: m, InitialStreamWindow: m},
		&Close{ErrorCode: m, Reason: reason},
		&Ping{Seq: m},
		&Pong{Seq: m},
		&MaxStreamData{StreamID: m, Limit: m},
		&MaxData{Limit: m},
		&StreamDataBlocked{StreamID: m, Limit: m},
		&MaxStreams{Count: m},
		&ResetStream{StreamID: m, ErrorCode: m, FinalSize: m},
		&StopSending{StreamID: m, ErrorCode: m, Reason: reason},
		&AddPath{PathID: m, Address: string(filled(MaxAddressLen, 'a')), Token: filled(MaxTokenLen, 3), CertPin: filled(CertPinLen, 4)},
		&PathStatus{PathID: m, Status: PathFailed, Reason: reason},
		&RemovePath{PathID: m},
		&RawData{PathID: m, StreamID: m, Seq: m, Data: filled(rawData, 5), MAC: filled(MACLen, 6)},
		&RangesRequest{RequestID: m, StreamID: m},
		&MissingRanges{RequestID: m, MissingRanges: presentation.MissingRanges{StreamID: m, ReadOffset: m, FinalSize: m - 1, FinalSizeKnown: true, Ranges: ranges}},
		&DeliveryReport{Deliveries: deliveries},
		&ReportRequest{RequestID: m},
		&AssignRange{PathID: m, StreamID: m, Offset: m - MaxPieceLen, Length: MaxPieceLen, Digest: filled(DigestLen, 7)},
		&WithdrawRange{PathID: m, StreamID: m, Offset: 1 << 61, Length: 1<<61 - 1},
		&PieceFailed{PathID: m, StreamID: m, Offset: m - MaxPieceLen, Length: MaxPieceLen, Reason: PieceRefused},
	}
}

// TestMaxBodyLenIsExact checks the table of largest bodies against the
// largest frame of every type: a bound too small would refuse valid
// frames, one too large would let a peer hold more than a frame needs.
func TestMaxBodyLenIsExact(t *testing.T) {
	seen := map[FrameType]bool{}
	for _, f := range largestFrames() {
		seen[f.Type()] = true
		enc := mustAppend(t, f)
		if _, _, err := ParseControlFrame(enc); err != nil {
			t.Fatalf("largest %v does not parse: %v", f.Type(), err)
		}
		_, n, _ := quicvarint.Parse(enc)
		length, _, _ := quicvarint.Parse(enc[n:])
		body := int(length)
		max, ok := MaxBodyLen(f.Type())
		if !ok || body != max {
			t.Errorf("%v: largest body is %d bytes, MaxBodyLen = %d, %v", f.Type(), body, max, ok)
		}
		if max > MaxControlFrameSize {
			t.Errorf("%v: MaxBodyLen %d exceeds MaxControlFrameSize", f.Type(), max)
		}
	}
	for ft := range frameNames {
		_, ok := MaxBodyLen(ft)
		if ft == FrameStream || ft == FrameStreamFin {
			if ok {
				t.Errorf("%v is not a control frame but has a MaxBodyLen", ft)
			}
			continue
		}
		if !ok || !seen[ft] {
			t.Errorf("%v: MaxBodyLen known %v, largest frame in the test %v", ft, ok, seen[ft])
		}
	}
	if max, _ := MaxBodyLen(FrameClientHello); max > 512 {
		t.Errorf("a CLIENT_HELLO may be %d bytes; an unauthenticated peer should not get more than a few hundred", max)
	}
}

// stallingReader serves b, then fails every read: a peer that declared a
// body, sent a little of it and went quiet.
type stallingReader struct{ b []byte }

var errStalled = errors.New("peer went quiet")

func (r *stallingReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, errStalled
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// allocated returns the bytes allocated by one call of f.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// maxDecodeAlloc bounds what decoding n bytes of control frames may
// allocate: a body buffer that at most doubles past the bytes received,
// decoded lists of 16 or 24 bytes per element of at least 2 or 3 bytes on
// the wire, and a constant. Nothing depends on what a Length declares.
func maxDecodeAlloc(n int) uint64 { return uint64(16*n) + 32<<10 }

// TestDeclaredLengthIsNotAllocated: a frame header that declares the
// largest body of its type, followed by a few bytes, costs what those bytes
// cost, not what the header declares (old code: 1 MiB for a 5-byte RAW_DATA
// header, and as much for any type).
func TestDeclaredLengthIsNotAllocated(t *testing.T) {
	for ft, spec := range controlFrames {
		for _, sent := range []int{0, 1, 3000, 100 << 10} {
			if sent > spec.maxBody {
				continue
			}
			in := cat(vi(uint64(ft)), vi(uint64(spec.maxBody)), filled(sent, 0))
			for name, r := range map[string]func() io.Reader{
				"unbuffered": func() io.Reader { return &stallingReader{b: in} },
				"bytes":      func() io.Reader { return bytes.NewReader(in) },
			} {
				var err error
				got := allocated(func() { _, err = ReadControlFrame(r()) })
				if err == nil {
					t.Fatalf("%v with %d of %d body bytes was accepted", ft, sent, spec.maxBody)
				}
				if want := maxDecodeAlloc(len(in)); got > want {
					t.Errorf("%v, %s reader: %d body bytes of %d declared: allocated %d bytes, want ≤ %d", ft, name, sent, spec.maxBody, got, want)
				}
			}
		}
	}
}

// TestReadBodyGrowsWithTheBytes reads bodies that arrive one byte at a
// time and checks that they come out whole.
func TestReadBodyGrowsWithTheBytes(t *testing.T) {
	for _, n := range []int{0, 1, firstBodyChunk - 1, firstBodyChunk, firstBodyChunk + 1, 3*firstBodyChunk + 7, 100 << 10} {
		want := payloadOf(n)
		got, err := readBody(oneByteReader{bytes.NewReader(want)}, n)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("readBody(%d): %d bytes, %v", n, len(got), err)
		}
		if cap(got) > n+firstBodyChunk {
			t.Errorf("readBody(%d) kept a %d-byte buffer", n, cap(got))
		}
		if n > 0 {
			if _, err := readBody(bytes.NewReader(want[:n-1]), n); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("readBody(%d) of %d bytes: %v, want io.ErrUnexpectedEOF", n, n-1, err)
			}
		}
	}
}

func payloadOf(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

type oneByteReader struct{ r io.Reader }

func (r oneByteReader) Read(p []byte) (int, error) { return r.r.Read(p[:min(len(p), 1)]) }
