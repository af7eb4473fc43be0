package wire

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/quic-go/quic-go/quicvarint"
)

var benchHeader = StreamHeader{StreamID: 4, Offset: 1 << 30, Length: 32 << 10}

// BenchmarkStreamHeaderAppend compares Append with the four bare varint
// appends it is made of, to show the cost of its checks.
func BenchmarkStreamHeaderAppend(b *testing.B) {
	buf := make([]byte, 0, 64)
	b.Run("wire", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = benchHeader.Append(buf[:0])
		}
	})
	b.Run("bare-quicvarint", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = quicvarint.Append(buf[:0], uint64(FrameStream))
			buf = quicvarint.Append(buf, benchHeader.StreamID)
			buf = quicvarint.Append(buf, benchHeader.Offset)
			buf = quicvarint.Append(buf, uint64(benchHeader.Length))
		}
	})
}

func BenchmarkParseStreamHeader(b *testing.B) {
	enc, _ := benchHeader.Append(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseStreamHeader(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadStreamHeader(b *testing.B) {
	enc, _ := benchHeader.Append(nil)
	r := bytes.NewReader(enc)
	br := bufio.NewReader(r)
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(enc)
		br.Reset(r)
		if _, err := ReadStreamHeader(br); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadStreamHeaderLane reads headers one after the other from a
// bufio.Reader that holds many, as a lane reader does.
func BenchmarkReadStreamHeaderLane(b *testing.B) {
	enc, _ := benchHeader.Append(nil)
	lane := bytes.Repeat(enc, 1000)
	r := bytes.NewReader(lane)
	br := bufio.NewReaderSize(r, 16<<10)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadStreamHeader(br); err != nil {
			r.Reset(lane)
			br.Reset(r)
		}
	}
}

func BenchmarkMaxStreamDataAppend(b *testing.B) {
	f := &MaxStreamData{StreamID: 4, Limit: 1 << 30}
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = f.Append(buf[:0])
	}
}

func BenchmarkParseMaxStreamData(b *testing.B) {
	enc := mustAppend(b, &MaxStreamData{StreamID: 4, Limit: 1 << 30})
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseControlFrame(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadControlFrameMaxStreamData(b *testing.B) {
	enc := mustAppend(b, &MaxStreamData{StreamID: 4, Limit: 1 << 30})
	r := bytes.NewReader(enc)
	br := bufio.NewReader(r)
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(enc)
		br.Reset(r)
		if _, err := ReadControlFrame(br); err != nil {
			b.Fatal(err)
		}
	}
}
