package wire

import (
	"bytes"
	"errors"
	"github.com/kwik-transport/kwik/pkg/presentation"
	"strings"
	"testing"
)

func TestAppendRejectsOutOfRangeFields(t *testing.T) {
	sid := filled(SessionIDLen, 1)
	mac := filled(MACLen, 2)
	tests := []struct {
		name  string
		frame Frame
		field string
	}{
		{"varint over the maximum", &Ping{Seq: MaxVarint + 1}, "Seq"},
		{"limit over the maximum", &MaxStreamData{StreamID: 4, Limit: 1 << 63}, "Limit"},
		{"session id of 15 bytes", &ClientHello{SessionID: sid[:15]}, "SessionID"},
		{"token too long", &ClientHello{Token: filled(MaxTokenLen+1, 0)}, "Token"},
		{"server hello without session id", &ServerHello{}, "SessionID"},
		{"bad role", &ServerHello{SessionID: sid, Role: 2}, "Role"},
		{"reason too long", &Close{Reason: strings.Repeat("x", MaxReasonLen+1)}, "Reason"},
		{"application code too large", &Close{ErrorCode: ApplicationCode(MaxApplicationCode + 1)}, "ErrorCode"},
		{"stop sending reason too long", &StopSending{Reason: strings.Repeat("x", MaxReasonLen+1)}, "Reason"},
		{"reset error code too large", &ResetStream{ErrorCode: MaxVarint + 1}, "ErrorCode"},
		{"address too long", &AddPath{Address: strings.Repeat("a", MaxAddressLen+1)}, "Address"},
		{"cert pin of 31 bytes", &AddPath{CertPin: filled(31, 0)}, "CertPin"},
		{"path status 0", &PathStatus{}, "Status"},
		{"path status 6", &PathStatus{Status: 6}, "Status"},
		{"raw data without mac", &RawData{Data: []byte("x")}, "MAC"},
		{"raw data one byte too long", &RawData{Data: filled(maxRawData+1, 0), MAC: mac}, "Length"},
		{"too many ranges", &MissingRanges{MissingRanges: presentation.MissingRanges{Ranges: make([]presentation.Range, MaxRanges+1)}}, "Count"},
		{"empty range", &MissingRanges{MissingRanges: presentation.MissingRanges{Ranges: []presentation.Range{{Start: 5, End: 5}}}}, "Ranges"},
		{"overlapping ranges", &MissingRanges{MissingRanges: presentation.MissingRanges{Ranges: []presentation.Range{{Start: 0, End: 10}, {Start: 9, End: 12}}}}, "Ranges"},
		{"final size of a stream of 2^62-1 bytes", &MissingRanges{MissingRanges: presentation.MissingRanges{FinalSize: MaxVarint, FinalSizeKnown: true}}, "FinalSize"},
		{"too many deliveries", &DeliveryReport{Deliveries: make([]Delivery, MaxDeliveries+1)}, "Count"},
		{"delivery bytes over the maximum", &DeliveryReport{Deliveries: []Delivery{{Bytes: MaxVarint + 1}}}, "Bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := []byte("untouched")
			got, err := tc.frame.Append(b)
			if err == nil {
				t.Fatalf("Append succeeded with %x", got)
			}
			we := asWireError(t, err)
			if we.Frame != tc.frame.Type() || we.Field != tc.field {
				t.Errorf("error %q: Frame %v, Field %q; want %v, %q", err, we.Frame, we.Field, tc.frame.Type(), tc.field)
			}
			if !bytes.Equal(got, []byte("untouched")) {
				t.Errorf("Append returned %q with its error, want b unchanged", got)
			}
			if errors.Is(err, ErrTruncated) {
				t.Errorf("encoding error %q wraps ErrTruncated", err)
			}
		})
	}
}

// TestExactLayouts pins the format with hand-computed bytes.
func TestExactLayouts(t *testing.T) {
	tests := []struct {
		name  string
		frame Frame
		want  []byte
	}{
		{"MAX_STREAM_DATA", &MaxStreamData{StreamID: 4, Limit: 65536},
			// type 0x10, Length 5, StreamID 4, Limit 65536 as a 4-byte varint.
			[]byte{0x10, 0x05, 0x04, 0x80, 0x01, 0x00, 0x00}},
		{"CLOSE", &Close{ErrorCode: ProtocolViolation, Reason: "bad"},
			[]byte{0x03, 0x05, 0x02, 0x03, 'b', 'a', 'd'}},
		{"STOP_SENDING with an application code", &StopSending{StreamID: 1, ErrorCode: ApplicationCode(5)},
			// code 5+0x100 = 0x105 as a 2-byte varint; empty Reason.
			[]byte{0x15, 0x04, 0x01, 0x41, 0x05, 0x00}},
		{"MISSING_RANGES", &MissingRanges{RequestID: 7, MissingRanges: presentation.MissingRanges{StreamID: 0, ReadOffset: 10, Ranges: []presentation.Range{{Start: 10, End: 20}, {Start: 30, End: 64}}}},
			// End 64 needs a 2-byte varint (0x40 0x40).
			[]byte{0x25, 0x0a, 0x07, 0x00, 0x0a, 0x00, 0x02, 0x0a, 0x14, 0x1e, 0x40, 0x40}},
		{"SERVER_HELLO", &ServerHello{Version: 1, SessionID: bytes.Repeat([]byte{0xee}, 16), PathID: 2, Role: RoleSecondary, MaxStreams: 100, InitialStreamWindow: 1 << 20},
			cat([]byte{0x02, 0x1a, 0x01, 0x10}, bytes.Repeat([]byte{0xee}, 16), []byte{0x02, 0x01, 0x40, 0x64, 0x80, 0x10, 0x00, 0x00})},
	}
	for _, tc := range tests {
		got, err := tc.frame.Append(nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !bytes.Equal(got, tc.want) {
			t.Errorf("%s: encoded % x, want % x", tc.name, got, tc.want)
		}
	}
}

// TestMissingRangesFinalSize checks the wire form of the final size: 0
// while unknown, the size plus one once known (so a stream of 0 bytes is 1).
func TestMissingRangesFinalSize(t *testing.T) {
	for _, tc := range []struct {
		size  uint64
		known bool
		wire  uint64
	}{{0, false, 0}, {7, false, 0}, {0, true, 1}, {MaxVarint - 1, true, MaxVarint}} {
		f := &MissingRanges{RequestID: 1, MissingRanges: presentation.MissingRanges{StreamID: 4, FinalSize: tc.size, FinalSizeKnown: tc.known}}
		want := rawFrame(FrameMissingRanges, vi(1), vi(4), vi(0), vi(tc.wire), vi(0))
		got := mustAppend(t, f)
		if !bytes.Equal(got, want) {
			t.Errorf("size %d known %v: encoded % x, want % x", tc.size, tc.known, got, want)
		}
		dec, _, err := ParseControlFrame(got)
		if err != nil {
			t.Fatal(err)
		}
		m := dec.(*MissingRanges)
		if m.FinalSizeKnown != tc.known || (tc.known && m.FinalSize != tc.size) {
			t.Errorf("size %d known %v: decoded %d known %v", tc.size, tc.known, m.FinalSize, m.FinalSizeKnown)
		}
	}
}
