package wire

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func validStreamHeaders() []StreamHeader {
	return []StreamHeader{
		{},
		{StreamID: 4, Offset: 100, Length: 1200},
		{StreamID: 1, Offset: 0, Length: 0, Fin: true},
		{StreamID: 8, Offset: 1 << 40, Length: MaxStreamPayload, Fin: true},
		{StreamID: MaxVarint, Offset: MaxVarint - MaxStreamPayload, Length: MaxStreamPayload},
		{StreamID: 63, Offset: MaxVarint, Length: 0, Fin: true},
		{StreamID: 64, Offset: 16383, Length: 16384},
	}
}

func TestStreamHeaderRoundTrip(t *testing.T) {
	for _, h := range validStreamHeaders() {
		enc, err := h.Append([]byte{0xff})
		if err != nil {
			t.Fatalf("%+v.Append: %v", h, err)
		}
		if enc[0] != 0xff {
			t.Fatalf("Append overwrote b")
		}
		enc = enc[1:]
		got, n, err := ParseStreamHeader(append(bytes.Clone(enc), "payload"...))
		if err != nil || got != h || n != len(enc) {
			t.Errorf("ParseStreamHeader(%x) = %+v, %d, %v; want %+v, %d, nil", enc, got, n, err, h, len(enc))
		}
		r := bufio.NewReader(bytes.NewReader(enc))
		got, err = ReadStreamHeader(r)
		if err != nil || got != h {
			t.Errorf("ReadStreamHeader(%x) = %+v, %v; want %+v", enc, got, err, h)
		}
		if _, err := ReadStreamHeader(r); err != io.EOF {
			t.Errorf("ReadStreamHeader at the end of the lane = %v, want io.EOF", err)
		}
		if h.End() != h.Offset+uint64(h.Length) {
			t.Errorf("End() = %d", h.End())
		}
	}
}

func TestStreamHeaderLayout(t *testing.T) {
	got, err := StreamHeader{StreamID: 1, Offset: 100, Length: 5, Fin: true}.Append(nil)
	want := []byte{0x09, 0x01, 0x40, 0x64, 0x05}
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("STREAM header = % x, %v; want % x", got, err, want)
	}
	got = AppendLaneMagic(nil)
	want = []byte{0xc0, 0, 0, 0, 0x4b, 0x57, 0x49, 0x4b} // 8-byte varint of "KWIK"
	if !bytes.Equal(got, want) {
		t.Errorf("lane magic = % x, want % x", got, want)
	}
}

func TestTruncatedStreamHeader(t *testing.T) {
	for _, h := range validStreamHeaders() {
		enc, _ := h.Append(nil)
		for i := range len(enc) {
			if _, _, err := ParseStreamHeader(enc[:i]); !errors.Is(err, ErrTruncated) {
				t.Errorf("ParseStreamHeader(%x) = %v, want ErrTruncated", enc[:i], err)
			}
			_, err := ReadStreamHeader(bytes.NewReader(enc[:i]))
			if i == 0 && err != io.EOF {
				t.Errorf("ReadStreamHeader of nothing = %v, want io.EOF", err)
			}
			if i > 0 && !errors.Is(err, ErrTruncated) {
				t.Errorf("ReadStreamHeader(%x) = %v, want ErrTruncated", enc[:i], err)
			}
		}
	}
}

func TestStreamHeaderErrors(t *testing.T) {
	tests := []struct {
		name, field string
		in          []byte
	}{
		{"control frame type", "Type", cat(vi(uint64(FramePing)), vi(0), vi(0), vi(0))},
		{"payload too long", "Length", cat(vi(0x08), vi(0), vi(0), vi(MaxStreamPayload+1))},
		{"length max varint", "Length", cat(vi(0x08), vi(0), vi(0), vi(MaxVarint))},
		{"end past 2^62-1", "Offset", cat(vi(0x09), vi(0), vi(MaxVarint), vi(1))},
	}
	for _, tc := range tests {
		_, n, err := ParseStreamHeader(tc.in)
		if we := asWireError(t, err); we.Field != tc.field || n != 0 {
			t.Errorf("%s: ParseStreamHeader = %d, %v; want an error about %s", tc.name, n, err, tc.field)
		}
		_, rerr := ReadStreamHeader(bytes.NewReader(tc.in))
		if we := asWireError(t, rerr); we.Field != tc.field {
			t.Errorf("%s: ReadStreamHeader = %v; want an error about %s", tc.name, rerr, tc.field)
		}
	}

	encodeTests := []struct {
		name, field string
		h           StreamHeader
	}{
		{"negative length", "Length", StreamHeader{Length: -1}},
		{"payload too long", "Length", StreamHeader{Length: MaxStreamPayload + 1}},
		{"end past 2^62-1", "Offset", StreamHeader{Offset: MaxVarint, Length: 1}},
		{"offset past 2^62-1", "Offset", StreamHeader{Offset: MaxVarint + 1}},
		{"stream id past 2^62-1", "StreamID", StreamHeader{StreamID: MaxVarint + 1}},
	}
	for _, tc := range encodeTests {
		b, err := tc.h.Append([]byte("x"))
		if we := asWireError(t, err); we.Field != tc.field || string(b) != "x" {
			t.Errorf("%s: Append = %q, %v; want b unchanged and an error about %s", tc.name, b, err, tc.field)
		}
	}
}

func TestReadStreamHeaderPassesReaderErrorsThrough(t *testing.T) {
	errReset := errors.New("lane reset")
	enc, _ := StreamHeader{StreamID: 4, Offset: 1 << 20, Length: 100}.Append(nil)
	for i := range len(enc) {
		_, err := ReadStreamHeader(bufio.NewReader(&failingReader{data: enc[:i], err: errReset}))
		if !errors.Is(err, errReset) {
			t.Errorf("after %d bytes: %v, want the reader's error", i, err)
		}
	}
}

func TestLaneMagic(t *testing.T) {
	lane := AppendLaneMagic(nil)
	if err := ReadLaneMagic(bytes.NewReader(lane)); err != nil {
		t.Errorf("ReadLaneMagic(AppendLaneMagic()) = %v", err)
	}
	if err := ReadLaneMagic(bytes.NewReader(nil)); err != io.EOF {
		t.Errorf("ReadLaneMagic of an empty lane = %v, want io.EOF", err)
	}
	for i := 1; i < len(lane); i++ {
		if err := ReadLaneMagic(bytes.NewReader(lane[:i])); !errors.Is(err, ErrTruncated) {
			t.Errorf("ReadLaneMagic of %d bytes = %v, want ErrTruncated", i, err)
		}
	}
	err := ReadLaneMagic(bytes.NewReader(vi(0x4b57494c)))
	if we := asWireError(t, err); we.Field != "LaneMagic" || !strings.Contains(err.Error(), "0x4b57494c") {
		t.Errorf("wrong magic: %v", err)
	}
}
