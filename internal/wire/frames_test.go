package wire

import (
	"bufio"
	"bytes"
	"errors"
	"github.com/kwik-transport/kwik/pkg/presentation"
	"io"
	"reflect"
	"testing"
	"testing/iotest"
)

type namedFrame struct {
	name  string
	frame Frame
}

// maxRawData is the largest Data that fits a RAW_DATA frame whose integer
// fields take one byte each: the body is 3 (IDs) + 4 (Data length) + Data +
// 1 + 32 (MAC) bytes.
const maxRawData = MaxControlFrameSize - 3 - 4 - 1 - MACLen

// validFrames returns at least one valid frame of every control type, with
// boundary values: zero, varint size steps, MaxVarint and maximum lengths.
// Empty bytes fields are nil, as the decoders return them.
func validFrames() []namedFrame {
	sid := filled(SessionIDLen, 0x5a)
	mac := filled(MACLen, 0x3c)
	pin := filled(CertPinLen, 0x11)
	reason := string(filled(MaxReasonLen, 'r'))

	manyRanges := make([]presentation.Range, MaxRanges)
	for i := range manyRanges {
		manyRanges[i] = presentation.Range{Start: uint64(i) * 1000, End: uint64(i)*1000 + 500}
	}
	manyRanges[MaxRanges-1] = presentation.Range{Start: MaxVarint - 1, End: MaxVarint}
	manyDeliveries := make([]Delivery, MaxDeliveries)
	for i := range manyDeliveries {
		manyDeliveries[i] = Delivery{PathID: uint64(i % 7), StreamID: uint64(i) * 4, Bytes: MaxVarint - uint64(i)}
	}

	frames := []namedFrame{
		{"client hello new session", &ClientHello{Version: Version}},
		{"client hello join", &ClientHello{Version: Version, SessionID: sid, PathID: 3, Token: filled(MaxTokenLen, 0x77), MaxStreams: 100, InitialStreamWindow: 64 << 10, MaxAssignments: 1024}},
		{"client hello max", &ClientHello{Version: MaxVarint, SessionID: sid, PathID: MaxVarint, Token: []byte{1}, MaxStreams: MaxVarint, InitialStreamWindow: MaxVarint, MaxAssignments: MaxVarint}},
		{"server hello primary", &ServerHello{Version: Version, SessionID: sid, Role: RolePrimary, MaxStreams: 100, InitialStreamWindow: 512 << 10}},
		{"server hello secondary max", &ServerHello{Version: MaxVarint, SessionID: sid, PathID: MaxVarint, Role: RoleSecondary, MaxStreams: MaxVarint, InitialStreamWindow: MaxVarint}},
		{"close empty", &Close{ErrorCode: NoError}},
		{"close max reason", &Close{ErrorCode: VersionMismatch, Reason: reason}},
		{"close max application code", &Close{ErrorCode: ApplicationCode(MaxApplicationCode), Reason: "bye"}},
		{"ping 0", &Ping{}},
		{"ping max", &Ping{Seq: MaxVarint}},
		{"pong", &Pong{Seq: 64}},
		{"max stream data 0", &MaxStreamData{}},
		{"max stream data 1-byte edge", &MaxStreamData{StreamID: 63, Limit: 64}},
		{"max stream data 2-byte edge", &MaxStreamData{StreamID: 16383, Limit: 16384}},
		{"max stream data 4-byte edge", &MaxStreamData{StreamID: 1<<30 - 1, Limit: 1 << 30}},
		{"max stream data max", &MaxStreamData{StreamID: MaxVarint, Limit: MaxVarint}},
		{"max data", &MaxData{Limit: 1 << 40}},
		{"stream data blocked", &StreamDataBlocked{StreamID: 4, Limit: MaxVarint}},
		{"max streams", &MaxStreams{Count: 1000}},
		{"reset stream", &ResetStream{StreamID: 8, ErrorCode: ApplicationCode(0), FinalSize: MaxVarint}},
		{"stop sending", &StopSending{StreamID: 5, ErrorCode: ProtocolViolation, Reason: "unknown stream 5"}},
		{"stop sending max reason", &StopSending{StreamID: MaxVarint, ErrorCode: ApplicationCode(42), Reason: reason}},
		{"add path minimal", &AddPath{PathID: 1, Address: "b:4433"}},
		{"add path full", &AddPath{PathID: MaxVarint, Address: string(filled(MaxAddressLen, 'a')), Token: filled(MaxTokenLen, 0x01), CertPin: pin}},
		{"remove path", &RemovePath{PathID: 2}},
		{"raw data empty", &RawData{MAC: mac}},
		{"raw data", &RawData{PathID: 1, StreamID: 4, Seq: 9, Data: []byte("hello"), MAC: mac}},
		{"raw data max", &RawData{Data: filled(maxRawData, 0xd0), MAC: mac}},
		{"ranges request", &RangesRequest{RequestID: 1, StreamID: 4}},
		{"missing ranges none", &MissingRanges{RequestID: 0, MissingRanges: presentation.MissingRanges{StreamID: 4, ReadOffset: 100}}},
		{"missing ranges touching", &MissingRanges{RequestID: 7, MissingRanges: presentation.MissingRanges{StreamID: 1, ReadOffset: 10, FinalSize: 64, FinalSizeKnown: true, Ranges: []presentation.Range{{Start: 10, End: 20}, {Start: 20, End: 30}, {Start: 40, End: 64}}}}},
		{"missing ranges max", &MissingRanges{RequestID: MaxVarint, MissingRanges: presentation.MissingRanges{StreamID: MaxVarint, ReadOffset: MaxVarint, FinalSize: MaxVarint - 1, FinalSizeKnown: true, Ranges: manyRanges}}},
		{"delivery report empty", &DeliveryReport{}},
		{"delivery report", &DeliveryReport{Deliveries: []Delivery{{0, 4, 1000}, {1, 4, 2000}}}},
		{"delivery report max", &DeliveryReport{Deliveries: manyDeliveries}},
		{"report request", &ReportRequest{RequestID: MaxVarint}},
		{"assign range", &AssignRange{PathID: 1, StreamID: 4, Offset: 256 << 10, Length: 256 << 10, Digest: filled(DigestLen, 0xd1)}},
		{"assign range max", &AssignRange{PathID: MaxVarint, StreamID: MaxVarint, Offset: MaxVarint - MaxPieceLen, Length: MaxPieceLen, Digest: filled(DigestLen, 0xd2)}},
		{"withdraw range", &WithdrawRange{PathID: 2, StreamID: 0, Offset: 0, Length: 1 << 20}},
		{"withdraw range empty", &WithdrawRange{PathID: 2, StreamID: 8, Offset: MaxVarint}},
		{"withdraw range max", &WithdrawRange{PathID: MaxVarint, StreamID: MaxVarint, Offset: 1 << 40, Length: MaxVarint - 1<<40}},
		{"piece failed corrupt", &PieceFailed{PathID: 1, StreamID: 4, Offset: 0, Length: 1, Reason: PieceCorrupt}},
		{"piece failed refused", &PieceFailed{PathID: 3, StreamID: 1, Offset: MaxVarint - 1, Length: 1, Reason: PieceRefused}},
		{"piece failed max", &PieceFailed{PathID: MaxVarint, StreamID: MaxVarint, Offset: MaxVarint - MaxPieceLen, Length: MaxPieceLen, Reason: PieceRefused}},
	}
	for _, s := range []PathState{PathActive, PathDegraded, PathDead, PathRemoved, PathFailed} {
		frames = append(frames, namedFrame{"path status " + s.String(), &PathStatus{PathID: 1, Status: s, Reason: "because"}})
	}
	frames = append(frames, namedFrame{"path status max reason", &PathStatus{PathID: MaxVarint, Status: PathDead, Reason: reason}})
	return frames
}

func TestValidFramesCoverEveryControlType(t *testing.T) {
	seen := map[FrameType]bool{}
	for _, nf := range validFrames() {
		seen[nf.frame.Type()] = true
	}
	for ft := range frameNames {
		if ft == FrameStream || ft == FrameStreamFin {
			continue
		}
		if !seen[ft] {
			t.Errorf("no valid %v frame in the test table", ft)
		}
		if f, _ := newControlFrame(ft); f == nil {
			t.Errorf("%v has no decoder", ft)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, nf := range validFrames() {
		t.Run(nf.name, func(t *testing.T) {
			prefix := []byte("prefix")
			b, err := nf.frame.Append(bytes.Clone(prefix))
			if err != nil {
				t.Fatalf("Append: %v", err)
			}
			if !bytes.HasPrefix(b, prefix) {
				t.Fatalf("Append overwrote the bytes already in b")
			}
			enc := b[len(prefix):]
			got, n, err := ParseControlFrame(append(bytes.Clone(enc), "trailing"...))
			if err != nil {
				t.Fatalf("ParseControlFrame: %v", err)
			}
			if n != len(enc) {
				t.Errorf("ParseControlFrame consumed %d bytes, want %d", n, len(enc))
			}
			if !reflect.DeepEqual(got, nf.frame) {
				t.Errorf("ParseControlFrame = %+v, want %+v", got, nf.frame)
			}
			if got.Type() != nf.frame.Type() {
				t.Errorf("Type() = %v, want %v", got.Type(), nf.frame.Type())
			}
		})
	}
}

// readers returns r's bytes through each kind of reader ReadControlFrame
// handles differently.
func readers(b []byte) map[string]io.Reader {
	return map[string]io.Reader{
		"bytes.Reader":      bytes.NewReader(b),                          // io.ByteReader, body via ReadFull
		"bufio 4096":        bufio.NewReader(bytes.NewReader(b)),         // bodies in place, large ones via ReadFull
		"bufio 16":          bufio.NewReaderSize(bytes.NewReader(b), 16), // almost every body via ReadFull
		"unbuffered":        iotest.OneByteReader(bytes.NewReader(b)),    // no ReadByte
		"half reads":        iotest.HalfReader(bytes.NewReader(b)),
		"data with err EOF": iotest.DataErrReader(bytes.NewReader(b)),
	}
}

func TestReadControlFrameStream(t *testing.T) {
	frames := validFrames()
	var stream []byte
	for _, nf := range frames {
		var err error
		if stream, err = nf.frame.Append(stream); err != nil {
			t.Fatal(err)
		}
	}
	for name, r := range readers(stream) {
		t.Run(name, func(t *testing.T) {
			for _, nf := range frames {
				got, err := ReadControlFrame(r)
				if err != nil {
					t.Fatalf("reading %s: %v", nf.name, err)
				}
				if !reflect.DeepEqual(got, nf.frame) {
					t.Fatalf("read %+v, want %s %+v", got, nf.name, nf.frame)
				}
			}
			if f, err := ReadControlFrame(r); err != io.EOF {
				t.Fatalf("after the last frame: %v, %v; want io.EOF", f, err)
			}
		})
	}
}

func TestDecodedFramesDoNotAliasInput(t *testing.T) {
	want := &RawData{PathID: 1, Data: []byte("payload"), MAC: filled(MACLen, 1)}
	enc := mustAppend(t, want)

	b := bytes.Clone(enc)
	f, _, err := ParseControlFrame(b)
	if err != nil {
		t.Fatal(err)
	}
	clear(b)
	if !reflect.DeepEqual(f, want) {
		t.Errorf("ParseControlFrame result changed when its input was overwritten: %+v", f)
	}

	// Through a bufio.Reader the body is decoded in its buffer, which the
	// next frames overwrite.
	other := mustAppend(t, &RawData{PathID: 2, Data: []byte("PAYLOAD"), MAC: filled(MACLen, 2)})
	r := bufio.NewReaderSize(bytes.NewReader(cat(enc, other, other, other)), 64)
	first, err := ReadControlFrame(r)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := ReadControlFrame(r); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(first, want) {
		t.Errorf("frame read from a bufio.Reader changed after later reads: %+v", first)
	}
}

func TestTruncatedFrames(t *testing.T) {
	for _, nf := range validFrames() {
		enc := mustAppend(t, nf.frame)
		t.Run(nf.name, func(t *testing.T) {
			for _, i := range truncationPoints(len(enc)) {
				f, n, err := ParseControlFrame(enc[:i])
				if !errors.Is(err, ErrTruncated) {
					t.Fatalf("ParseControlFrame of %d of %d bytes = %v, %d, %v; want ErrTruncated", i, len(enc), f, n, err)
				}
				if n != 0 {
					t.Fatalf("ParseControlFrame of %d bytes consumed %d bytes on error", i, n)
				}
				asWireError(t, err)
			}
		})
	}
}

func TestReadTruncatedFrames(t *testing.T) {
	for _, nf := range validFrames() {
		enc := mustAppend(t, nf.frame)
		if len(enc) > 4096 {
			continue // reading a prefix costs its length; TestTruncatedFrames covers big frames
		}
		t.Run(nf.name, func(t *testing.T) {
			for i := range len(enc) {
				for name, r := range readers(enc[:i]) {
					_, err := ReadControlFrame(r)
					if i == 0 {
						if err != io.EOF {
							t.Fatalf("%s: empty input gave %v, want io.EOF", name, err)
						}
						continue
					}
					if !errors.Is(err, ErrTruncated) {
						t.Fatalf("%s: %d of %d bytes gave %v, want ErrTruncated", name, i, len(enc), err)
					}
					asWireError(t, err)
				}
			}
		})
	}
}

// failingReader returns data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReadControlFramePassesReaderErrorsThrough(t *testing.T) {
	errReset := errors.New("stream reset by peer")
	enc := mustAppend(t, &StopSending{StreamID: 4, Reason: "no"})
	for i := range len(enc) {
		for _, wrap := range []func(io.Reader) io.Reader{
			func(r io.Reader) io.Reader { return r },
			func(r io.Reader) io.Reader { return bufio.NewReader(r) },
		} {
			_, err := ReadControlFrame(wrap(&failingReader{data: enc[:i], err: errReset}))
			if !errors.Is(err, errReset) {
				t.Fatalf("reader failing after %d bytes: got %v, want the reader's error", i, err)
			}
			var we *Error
			if errors.As(err, &we) {
				t.Fatalf("reader failing after %d bytes: the reader's error was reported as malformed input: %v", i, err)
			}
		}
	}
}
