package wire

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParseControlFrameErrors(t *testing.T) {
	sid := lp(SessionIDLen)
	mac := lp(MACLen)
	tests := []struct {
		name      string
		in        []byte
		frame     FrameType
		field     string
		reason    string // substring of Reason
		truncated bool
	}{
		{"empty", nil, 0, "Type", "ended", true},
		{"partial type varint", []byte{0x40}, 0, "Type", "ended", true},
		{"unknown type", rawFrame(0x06), 0x06, "Type", "not a control frame type", false},
		{"unknown huge type", cat(vi(MaxVarint), vi(0)), MaxVarint, "Type", "not a control frame type", false},
		{"STREAM on the control stream", rawFrame(FrameStream), FrameStream, "Type", "not a control frame type", false},
		{"length over the maximum", cat(vi(uint64(FrameRawData)), vi(MaxControlFrameSize+1)), FrameRawData, "Length", "exceeds the largest RAW_DATA body (1048576 bytes)", false},
		{"length max varint", cat(vi(uint64(FramePing)), vi(MaxVarint)), FramePing, "Length", "exceeds the largest PING body (8 bytes)", false},
		{"client hello longer than its fields", cat(vi(uint64(FrameClientHello)), vi(1<<20)), FrameClientHello, "Length", "exceeds the largest CLIENT_HELLO body (315 bytes)", false},
		{"ping longer than its field", rawFrame(FramePing, vi(1), filled(8, 0)), FramePing, "Length", "exceeds the largest PING body", false},
		{"trailing bytes", rawFrame(FramePing, vi(1), []byte{0}), FramePing, "", "1 byte left over", false},
		{"empty body", rawFrame(FrameMaxData), FrameMaxData, "Limit", "needs 1 byte but only 0 remain", false},
		{"field past the body", rawFrame(FrameMaxStreamData, vi(4)), FrameMaxStreamData, "Limit", "remain of the 1-byte body", false},
		{"varint past the body", rawFrame(FramePing, []byte{0x80, 0, 0}), FramePing, "Seq", "needs 4 bytes", false},
		{"session id of 5 bytes", rawFrame(FrameClientHello, vi(1), lp(5), vi(0), lp(0)), FrameClientHello, "SessionID", "length 5 is neither 0 nor 16", false},
		{"session id of 17 bytes", rawFrame(FrameClientHello, vi(1), lp(17), vi(0), lp(0)), FrameClientHello, "SessionID", "length 17 is neither 0 nor 16", false},
		{"token too long", rawFrame(FrameClientHello, vi(1), lp(0), vi(0), lp(MaxTokenLen+1)), FrameClientHello, "Token", "length 257 exceeds the maximum 256", false},
		{"token past the body", rawFrame(FrameClientHello, vi(1), lp(0), vi(0), vi(10), []byte{1, 2, 3}), FrameClientHello, "Token", "needs 10 bytes but only 3 remain", false},
		{"server hello without session id", rawFrame(FrameServerHello, vi(1), lp(0), vi(0), vi(0), vi(1), vi(1)), FrameServerHello, "SessionID", "length 0 is not 16", false},
		{"server hello bad role", rawFrame(FrameServerHello, vi(1), sid, vi(0), vi(2), vi(1), vi(1)), FrameServerHello, "Role", "2 is not a role", false},
		{"close reason too long", rawFrame(FrameClose, vi(0), lp(MaxReasonLen+1)), FrameClose, "Reason", "length 1025 exceeds the maximum 1024", false},
		{"close reason past the body", rawFrame(FrameClose, vi(0), vi(5), []byte("ab")), FrameClose, "Reason", "needs 5 bytes", false},
		{"stop sending reason too long", rawFrame(FrameStopSending, vi(4), vi(0), lp(MaxReasonLen+1)), FrameStopSending, "Reason", "exceeds the maximum 1024", false},
		{"address too long", rawFrame(FrameAddPath, vi(1), lp(MaxAddressLen+1), lp(0), lp(0)), FrameAddPath, "Address", "exceeds the maximum 256", false},
		{"cert pin of 31 bytes", rawFrame(FrameAddPath, vi(1), lp(3), lp(0), lp(31)), FrameAddPath, "CertPin", "length 31 is neither 0 nor 32", false},
		{"path status 0", rawFrame(FramePathStatus, vi(1), vi(0), lp(0)), FramePathStatus, "Status", "0 is not a path state", false},
		{"path status 6", rawFrame(FramePathStatus, vi(1), vi(6), lp(0)), FramePathStatus, "Status", "6 is not a path state", false},
		{"raw data without mac", rawFrame(FrameRawData, vi(1), vi(4), vi(1), lp(3), lp(0)), FrameRawData, "MAC", "length 0 is not 32", false},
		{"raw data mac of 31 bytes", rawFrame(FrameRawData, vi(1), vi(4), vi(1), lp(3), lp(31)), FrameRawData, "MAC", "length 31 is not 32", false},
		{"raw data longer than a frame", rawFrame(FrameRawData, vi(1), vi(4), vi(1), vi(MaxControlFrameSize+1), mac), FrameRawData, "Data", "exceeds the maximum 1048576", false},
		{"raw data past the body", rawFrame(FrameRawData, vi(1), vi(4), vi(1), vi(100), mac), FrameRawData, "Data", "needs 100 bytes", false},
		{"too many ranges", rawFrame(FrameMissingRanges, vi(1), vi(4), vi(0), vi(0), vi(MaxRanges+1)), FrameMissingRanges, "Count", "4097 exceeds the maximum 4096", false},
		{"count larger than the body", rawFrame(FrameMissingRanges, vi(1), vi(4), vi(0), vi(0), vi(100), vi(1), vi(2)), FrameMissingRanges, "Count", "100 elements need at least 200 bytes but only 2 remain", false},
		{"empty range", rawFrame(FrameMissingRanges, vi(1), vi(4), vi(0), vi(0), vi(1), vi(5), vi(5)), FrameMissingRanges, "Ranges", "range 0 [5, 5) is empty", false},
		{"inverted range", rawFrame(FrameMissingRanges, vi(1), vi(4), vi(0), vi(0), vi(1), vi(9), vi(5)), FrameMissingRanges, "Ranges", "range 0 [9, 5) is empty", false},
		{"overlapping ranges", rawFrame(FrameMissingRanges, vi(1), vi(4), vi(0), vi(0), vi(2), vi(0), vi(10), vi(9), vi(12)), FrameMissingRanges, "Ranges", "range 1 starts at 9, before range 0 ends at 10", false},
		{"unsorted ranges", rawFrame(FrameMissingRanges, vi(1), vi(4), vi(0), vi(0), vi(2), vi(20), vi(30), vi(0), vi(10)), FrameMissingRanges, "Ranges", "sorted and disjoint", false},
		{"range past the body", rawFrame(FrameMissingRanges, vi(1), vi(4), vi(0), vi(0), vi(1), vi(1), []byte{0x40}), FrameMissingRanges, "End", "needs 2 bytes", false},
		{"too many deliveries", rawFrame(FrameDeliveryReport, vi(MaxDeliveries+1)), FrameDeliveryReport, "Count", "4097 exceeds the maximum 4096", false},
		{"deliveries larger than the body", rawFrame(FrameDeliveryReport, vi(2), vi(0), vi(4), vi(1)), FrameDeliveryReport, "Count", "2 elements need at least 6 bytes but only 3 remain", false},
		{"body shorter than Length", cat(vi(uint64(FrameMaxData)), vi(4), vi(1)), FrameMaxData, "", "inside the 4-byte body", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, n, err := ParseControlFrame(tc.in)
			if err == nil {
				t.Fatalf("ParseControlFrame(%x) = %+v, %d, nil; want an error", tc.in, f, n)
			}
			if f != nil || n != 0 {
				t.Errorf("ParseControlFrame returned %v, %d with its error", f, n)
			}
			we := asWireError(t, err)
			if we.Frame != tc.frame || we.Field != tc.field || !strings.Contains(we.Reason, tc.reason) {
				t.Errorf("error %+v (%q); want Frame %v, Field %q, Reason containing %q", *we, err, tc.frame, tc.field, tc.reason)
			}
			if errors.Is(err, ErrTruncated) != tc.truncated {
				t.Errorf("errors.Is(%q, ErrTruncated) = %v, want %v", err, !tc.truncated, tc.truncated)
			}
			if !strings.HasPrefix(err.Error(), "kwik/wire: ") {
				t.Errorf("message %q lacks the package prefix", err)
			}
			if len(tc.in) == 0 {
				return // ReadControlFrame reports a clean io.EOF instead
			}
			// The stream reader must agree with the buffer parser.
			_, rerr := ReadControlFrame(bytes.NewReader(tc.in))
			if rwe := asWireError(t, rerr); rwe.Frame != we.Frame || rwe.Field != we.Field {
				t.Errorf("ReadControlFrame error %q differs from ParseControlFrame error %q", rerr, err)
			}
		})
	}
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
	}{
		{rawFrame(FrameMissingRanges, vi(1), vi(4), vi(0), vi(0), vi(5000)),
			"kwik/wire: MISSING_RANGES: field Count: 5000 exceeds the maximum 4096"},
		{rawFrame(FrameClose, vi(0), lp(1025)),
			"kwik/wire: CLOSE: field Reason: length 1025 exceeds the maximum 1024"},
		{rawFrame(FrameClose, vi(0), lp(2000)),
			"kwik/wire: CLOSE: field Length: 2003 exceeds the largest CLOSE body (1034 bytes)"},
		{rawFrame(0x30),
			"kwik/wire: FrameType(0x30): field Type: not a control frame type"},
		{rawFrame(FramePong, vi(1), vi(2)),
			"kwik/wire: PONG: 1 byte left over after the last field of the 2-byte body"},
		{[]byte{0x04, 0x01},
			"kwik/wire: PING: input ended inside the 1-byte body"},
	}
	for _, tc := range tests {
		_, _, err := ParseControlFrame(tc.in)
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseControlFrame(%x) error = %v, want %q", tc.in, err, tc.want)
		}
	}
}

// headerOnlyReader serves a frame header, then fails the test if anything
// reads further: a reader that rejects Length must not touch the body.
type headerOnlyReader struct {
	t      *testing.T
	header []byte
}

func (r *headerOnlyReader) Read(p []byte) (int, error) {
	if len(r.header) == 0 {
		r.t.Errorf("read past the header of an oversized frame")
		return 0, errors.New("read past the header")
	}
	n := copy(p, r.header)
	r.header = r.header[n:]
	return n, nil
}

func TestOversizedLengthIsRejectedBeforeReadingOrAllocating(t *testing.T) {
	for _, length := range []uint64{MaxControlFrameSize + 1, 1 << 30, MaxVarint} {
		header := cat(vi(uint64(FrameRawData)), vi(length))
		_, err := ReadControlFrame(&headerOnlyReader{t: t, header: header})
		if we := asWireError(t, err); we.Field != "Length" {
			t.Errorf("Length %d: error %v, want one about Length", length, err)
		}
		perRead := bytesPerRun(20, func() {
			ReadControlFrame(bytes.NewReader(header))
		})
		if perRead > 4096 {
			t.Errorf("rejecting Length %d allocated %d bytes per read, want no allocation sized by Length", length, perRead)
		}
	}
}

func TestCountsAreCheckedBeforeAllocating(t *testing.T) {
	inputs := map[string][]byte{
		// Each declares the maximum count but carries no elements; decoding
		// them must not allocate the 64 or 96 KiB the counts describe.
		"ranges":     rawFrame(FrameMissingRanges, vi(1), vi(4), vi(0), vi(0), vi(MaxRanges)),
		"deliveries": rawFrame(FrameDeliveryReport, vi(MaxDeliveries)),
	}
	for name, in := range inputs {
		_, _, err := ParseControlFrame(in)
		if we := asWireError(t, err); we.Field != "Count" {
			t.Errorf("%s: error %v, want one about Count", name, err)
		}
		if perParse := bytesPerRun(20, func() { ParseControlFrame(in) }); perParse > 4096 {
			t.Errorf("%s: rejecting the count allocated %d bytes per parse", name, perParse)
		}
	}
}
