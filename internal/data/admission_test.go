package data

import (
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kwik-transport/kwik/internal/wire"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

// rejection is one call of Session.Refuse.
type rejection struct {
	pathID, streamID uint64
	err              error
}

// aggregatorSetup is a client's receive side with stream 0 open, stream 4
// closed and every other stream unknown; it is the Session of its
// Admission.
type aggregatorSetup struct {
	dpm        presentation.DataPresentationManager
	deliveries *Deliveries
	agg        *Admission
	// open makes every stream ID open.
	open atomic.Bool
	// statusCalls counts StreamStatus calls (the session's lock each).
	statusCalls atomic.Int64
	// pieceFailed, if not nil, is told what PieceFailed is.
	pieceFailed func(pathID uint64, a Assignment)
	// stream0Gone makes stream 0 closed, as when the application has read
	// all of it.
	stream0Gone atomic.Bool

	mu       sync.Mutex
	rejected []rejection
}

func newAggregatorSetup(t *testing.T) *aggregatorSetup {
	return newAggregatorSetupConf(t, Config{MaxAssignments: 64, MaxUnverified: 1 << 20, AcceptUnassigned: true})
}

func newAggregatorSetupConf(t *testing.T, conf Config) *aggregatorSetup {
	dpm, err := presentation.NewDataPresentationManager(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dpm.Close() })
	if err := dpm.CreateStreamBuffer(0, &presentation.StreamMetadata{}); err != nil {
		t.Fatal(err)
	}
	a := &aggregatorSetup{dpm: dpm, deliveries: NewDeliveries()}
	a.agg = NewAdmission(dpm, a.deliveries, a, conf)
	return a
}

// StreamStatus implements Session; no stream is opened by a frame.
func (a *aggregatorSetup) StreamStatus(id uint64, open bool) (StreamStatus, error) {
	a.statusCalls.Add(1)
	if a.open.Load() {
		return StreamOpen, nil
	}
	switch id {
	case 0:
		if a.stream0Gone.Load() {
			return StreamClosed, nil
		}
		return StreamOpen, nil
	case 4:
		return StreamClosed, nil
	}
	return StreamUnknown, nil
}

// Refuse implements Session.
func (a *aggregatorSetup) Refuse(pathID, streamID uint64, err error) {
	a.mu.Lock()
	a.rejected = append(a.rejected, rejection{pathID, streamID, err})
	a.mu.Unlock()
}

// PieceFailed implements Session.
func (a *aggregatorSetup) PieceFailed(pathID uint64, as Assignment) {
	if a.pieceFailed != nil {
		a.pieceFailed(pathID, as)
	}
}

func (a *aggregatorSetup) rejections() []rejection {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]rejection(nil), a.rejected...)
}

// pooled copies s into a buffer of the presentation layer's pool, as the
// lane reader hands payloads over.
func pooled(dpm presentation.DataPresentationManager, s string) []byte {
	b := dpm.GetBuffer(len(s))
	copy(b, s)
	return b
}

func TestSecondaryAdmit(t *testing.T) {
	a := newAggregatorSetup(t)
	h := a.agg.ForPath(2, RoleSecondary, nil)
	limit, err := a.dpm.StreamLimit(0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		hdr    wire.StreamHeader
		code   wire.ErrorCode // of the PathError; 0: no PathError
		want   error          // when code is 0
		reason string
	}{
		{name: "open stream within limit", hdr: wire.StreamHeader{StreamID: 0, Offset: limit - 10, Length: 10}},
		{name: "FIN", hdr: wire.StreamHeader{StreamID: 0, Length: 1, Fin: true}, code: wire.ProtocolViolation, reason: "only the primary"},
		{name: "past the limit", hdr: wire.StreamHeader{StreamID: 0, Offset: limit - 10, Length: 11}, code: wire.FlowControlError, reason: "exceeds the advertised limit"},
		{name: "near 2^62", hdr: wire.StreamHeader{StreamID: 0, Offset: wire.MaxVarint - 100, Length: 100}, code: wire.FlowControlError, reason: "exceeds the advertised limit"},
		{name: "closed stream", hdr: wire.StreamHeader{StreamID: 4, Length: 5}, want: ErrDiscard},
		{name: "unknown stream", hdr: wire.StreamHeader{StreamID: 8, Length: 5}, want: ErrDiscard},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := h.Admit(tc.hdr)
			if tc.code == 0 {
				if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
					t.Fatalf("%v, want %v", err, tc.want)
				}
				return
			}
			var perr *PathError
			if !errors.As(err, &perr) || perr.Code != tc.code || !strings.Contains(perr.Reason, tc.reason) {
				t.Fatalf("%v, want a %v PathError saying %q", err, tc.code, tc.reason)
			}
		})
	}
	// Only the unknown stream is worth telling the secondary about: data
	// for a closed stream is late, not wrong.
	r := a.rejections()
	var unknown *UnknownStreamError
	if len(r) != 1 || r[0].pathID != 2 || r[0].streamID != 8 || !errors.As(r[0].err, &unknown) || unknown.StreamID != 8 {
		t.Fatalf("rejections %+v, want one for stream 8 on path 2", r)
	}
	if !strings.Contains(unknown.Error(), "stream 8 does not exist") {
		t.Fatalf("reason %q does not say which stream", unknown.Error())
	}
}

func TestSecondaryDeliverCountsAndStores(t *testing.T) {
	a := newAggregatorSetup(t)
	h := a.agg.ForPath(3, RoleSecondary, nil)
	hdr := wire.StreamHeader{StreamID: 0, Offset: 0, Length: 5}
	if err := h.Deliver(hdr, pooled(a.dpm, "hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, err := a.dpm.ReadFromStream(0, buf)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	if r := a.deliveries.Report(false); len(r) != 1 || r[0] != (wire.Delivery{PathID: 3, StreamID: 0, Bytes: 5}) {
		t.Fatalf("deliveries %v, want 5 bytes from path 3", r)
	}
}

func TestSecondaryConflictRejectsNotClosesPath(t *testing.T) {
	a := newAggregatorSetup(t)
	if err := Write(a.dpm, 0, wire.StreamHeader{StreamID: 0, Length: 8}, pooled(a.dpm, "original")); err != nil {
		t.Fatal(err)
	}
	h := a.agg.ForPath(1, RoleSecondary, nil)
	if err := h.Deliver(wire.StreamHeader{StreamID: 0, Offset: 2, Length: 4}, pooled(a.dpm, "XXXX")); err != nil {
		t.Fatalf("conflicting bytes closed the path: %v (only the stream is at fault)", err)
	}
	r := a.rejections()
	var conflict *presentation.ConflictError
	if len(r) != 1 || r[0].streamID != 0 || !errors.As(r[0].err, &conflict) {
		t.Fatalf("rejections %+v, want one ConflictError for stream 0", r)
	}
	if _, err := a.dpm.ReadFromStream(0, make([]byte, 8)); !errors.As(err, &conflict) {
		t.Fatalf("reading the corrupted stream: %v, want the ConflictError", err)
	}
	if rep := a.deliveries.Report(false); rep != nil {
		t.Fatalf("refused bytes were counted: %v", rep)
	}
}

func TestWriteSortsOutcomes(t *testing.T) {
	dpm, err := presentation.NewDataPresentationManager(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dpm.Close()
	for _, id := range []uint64{0, 4} {
		if err := dpm.CreateStreamBuffer(id, &presentation.StreamMetadata{}); err != nil {
			t.Fatal(err)
		}
	}
	limit, _ := dpm.StreamLimit(0)

	err = Write(dpm, 0, wire.StreamHeader{StreamID: 0, Offset: limit, Length: 1}, pooled(dpm, "x"))
	var perr *PathError
	if !errors.As(err, &perr) || perr.Code != wire.FlowControlError {
		t.Fatalf("past the limit: %v, want a FLOW_CONTROL_ERROR PathError", err)
	}
	if err := Write(dpm, 0, wire.StreamHeader{StreamID: 12, Length: 1}, pooled(dpm, "x")); err != nil {
		t.Fatalf("unknown stream: %v, want nil (dropped)", err)
	}
	if err := Write(dpm, 0, wire.StreamHeader{StreamID: 0, Offset: 0, Length: 3, Fin: true}, pooled(dpm, "end")); err != nil {
		t.Fatal(err)
	}
	err = Write(dpm, 0, wire.StreamHeader{StreamID: 0, Offset: 3, Length: 2}, pooled(dpm, "!!"))
	var rej *RejectedError
	var fse *presentation.FinalSizeError
	if !errors.As(err, &rej) || rej.StreamID != 0 || !errors.As(err, &fse) {
		t.Fatalf("past the final size: %v, want a RejectedError wrapping a FinalSizeError", err)
	}
	dpm.FailStream(4, io.ErrClosedPipe)
	if err := Write(dpm, 0, wire.StreamHeader{StreamID: 4, Length: 1}, pooled(dpm, "x")); err != nil {
		t.Fatalf("failed stream: %v, want nil (dropped)", err)
	}
}

func TestCheckLimit(t *testing.T) {
	dpm, err := presentation.NewDataPresentationManager(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dpm.Close()
	if err := CheckLimit(dpm, wire.StreamHeader{StreamID: 0, Length: 1}); !errors.Is(err, ErrDiscard) {
		t.Fatalf("stream without a buffer: %v, want ErrDiscard", err)
	}
	dpm.CreateStreamBuffer(0, &presentation.StreamMetadata{})
	limit, _ := dpm.StreamLimit(0)
	if err := CheckLimit(dpm, wire.StreamHeader{StreamID: 0, Offset: limit}); err != nil {
		t.Fatalf("an empty frame at the limit: %v", err)
	}
	err = CheckLimit(dpm, wire.StreamHeader{StreamID: 0, Offset: limit, Length: 1})
	var perr *PathError
	if !errors.As(err, &perr) || perr.Code != wire.FlowControlError || !strings.Contains(perr.Error(), "FLOW_CONTROL_ERROR") {
		t.Fatalf("one byte past the limit: %v", err)
	}
}

// TestRoles: one admission path, three roles. The owner's path may end a
// stream and needs no assignment; a secondary's may do neither; a path of
// RoleNone takes no stream data at all.
func TestRoles(t *testing.T) {
	a := newAggregatorSetupConf(t, Config{MaxAssignments: 4, MaxUnverified: 1 << 20})
	fin := wire.StreamHeader{StreamID: 0, Length: 3, Fin: true}
	owner := a.agg.ForPath(0, RoleOwner, nil)
	if err := owner.Admit(fin); err != nil {
		t.Fatalf("the owner's FIN: %v", err)
	}
	if err := owner.Deliver(fin, pooled(a.dpm, "end")); err != nil {
		t.Fatal(err)
	}
	if r := a.deliveries.Report(false); len(r) != 1 || r[0] != (wire.Delivery{PathID: 0, StreamID: 0, Bytes: 3}) {
		t.Fatalf("deliveries %v, want 3 bytes from path 0", r)
	}
	wantPathError(t, a.agg.ForPath(1, RoleSecondary, nil).Admit(fin), wire.ProtocolViolation, "only the primary may")
	wantPathError(t, a.agg.ForPath(1, RoleSecondary, nil).Admit(wire.StreamHeader{StreamID: 0, Length: 3}), wire.ProtocolViolation, "did not assign")
	for _, h := range []wire.StreamHeader{fin, {StreamID: 0, Length: 1}, {StreamID: 4}} {
		wantPathError(t, a.agg.ForPath(2, RoleNone, nil).Admit(h), wire.ProtocolViolation, "takes none")
	}
	if n := len(a.rejections()); n != 0 {
		t.Fatalf("%d streams refused, want none", n)
	}
}

// countingPath is a Counter.
type countingPath struct{ n atomic.Int64 }

func (c *countingPath) CountReceived(n int) { c.n.Add(int64(n)) }

// TestCounterSeesEveryDeliveredByte: the path's statistics count each frame
// delivered, whether or not its piece is complete yet.
func TestCounterSeesEveryDeliveredByte(t *testing.T) {
	a := newAggregatorSetup(t)
	var c countingPath
	h := a.agg.ForPath(3, RoleSecondary, &c)
	for _, s := range []string{"abc", "de"} {
		if err := h.Deliver(wire.StreamHeader{StreamID: 0, Offset: uint64(c.n.Load()), Length: len(s)}, pooled(a.dpm, s)); err != nil {
			t.Fatal(err)
		}
	}
	if c.n.Load() != 5 {
		t.Fatalf("counted %d bytes, want 5", c.n.Load())
	}
}

// TestClosedStreamAfterCachedOpen: the path remembers a stream it found
// open; once the stream is gone its frames are dropped all the same.
func TestClosedStreamAfterCachedOpen(t *testing.T) {
	a := newAggregatorSetup(t)
	h := a.agg.ForPath(0, RoleOwner, nil)
	hdr := wire.StreamHeader{StreamID: 0, Length: 1}
	if err := h.Admit(hdr); err != nil {
		t.Fatal(err)
	}
	a.stream0Gone.Store(true)
	a.dpm.RemoveStreamBuffer(0)
	if err := h.Admit(hdr); !errors.Is(err, ErrDiscard) {
		t.Fatalf("a frame of a stream gone since: %v, want ErrDiscard", err)
	}
}

// TestOneStatusLookupPerRun: frames of streams a lane carries interleaved
// (one lane per path is the default) ask the session about each stream
// once, not per frame (each ask takes the session's lock).
func TestOneStatusLookupPerRun(t *testing.T) {
	a := newAggregatorSetup(t)
	for _, id := range []uint64{8, 12} {
		if err := a.dpm.CreateStreamBuffer(id, &presentation.StreamMetadata{}); err != nil {
			t.Fatal(err)
		}
	}
	a.open.Store(true)
	h := a.agg.ForPath(0, RoleOwner, nil)
	const frames = 100
	for i := range frames {
		for _, id := range []uint64{0, 8, 12} {
			hdr := wire.StreamHeader{StreamID: id, Offset: uint64(i), Length: 1}
			if err := h.Admit(hdr); err != nil {
				t.Fatal(err)
			}
			if err := h.Deliver(hdr, pooled(a.dpm, "x")); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := a.statusCalls.Load(); n != 3 {
		t.Fatalf("%d StreamStatus calls for %d frames of each of 3 streams, want 3", n, frames)
	}
	r := a.deliveries.Report(false)
	if len(r) != 3 || r[0].Bytes != frames || r[1].Bytes != frames || r[2].Bytes != frames {
		t.Fatalf("deliveries %v, want %d bytes of each stream", r, frames)
	}
}
