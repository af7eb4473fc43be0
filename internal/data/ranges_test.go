package data

import (
	"errors"
	"strings"
	"testing"

	"github.com/kwik-transport/kwik/internal/wire"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

// TestWriteTooManyRangesClosesPath: a path that fragments a stream past the
// presentation layer's range bound gets a protocol violation saying so,
// which closes that path; the stream keeps the bytes it had.
func TestWriteTooManyRangesClosesPath(t *testing.T) {
	const limit = 8
	dpm, err := presentation.NewDataPresentationManager(&presentation.PresentationConfig{MaxStreamRanges: limit, InitialStreamWindow: limit * 8 << 10, MinStreamWindow: limit * 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer dpm.Close()
	if err := dpm.CreateStreamBuffer(0, &presentation.StreamMetadata{}); err != nil {
		t.Fatal(err)
	}
	for i := range limit {
		if err := Write(dpm, 3, wire.StreamHeader{StreamID: 0, Offset: uint64(2*i + 1), Length: 1}, dpm.GetBuffer(1)); err != nil {
			t.Fatalf("range %d: %v", i, err)
		}
	}
	err = Write(dpm, 3, wire.StreamHeader{StreamID: 0, Offset: 2*limit + 1, Length: 1}, dpm.GetBuffer(1))
	var pe *PathError
	if !errors.As(err, &pe) || pe.Code != wire.ProtocolViolation || !strings.Contains(pe.Reason, "disjoint range") {
		t.Fatalf("range %d: %v; want a PROTOCOL_VIOLATION about disjoint ranges", limit, err)
	}
	if r, err := dpm.MissingRanges(0); err != nil || len(r.Ranges) != limit {
		t.Fatalf("stream after the refusal: %d holes, %v; want %d", len(r.Ranges), err, limit)
	}
}
