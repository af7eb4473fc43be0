package presentation

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Diagnostics is every stream's state at one instant, for debugging in
// production (seed 10.4).
type Diagnostics struct {
	Time         time.Time
	Config       PresentationConfig
	SessionLimit uint64
	Window       ReceiveWindowStatus
	Backpressure BackpressureStatus
	Streams      []StreamDiagnostics // sorted by stream ID
}

// StreamDiagnostics is one stream's state.
type StreamDiagnostics struct {
	StreamID       uint64
	State          string // open, failed or closed
	Err            string // why it failed
	ReadOffset     uint64
	Limit          uint64
	Advertised     uint64
	Window         uint64
	Buffered       uint64
	Chunks         int
	FinalSize      uint64
	FinalSizeKnown bool
	Received       []Range // at or after ReadOffset
	Gaps           []Range // holes below the highest byte received
	Backpressure   bool
	GapAge         time.Duration // how long the reader has waited at a hole, 0 if not
}

// Diagnostics returns every stream's state.
func (m *dataPresentationManager) Diagnostics() Diagnostics {
	d := Diagnostics{Time: time.Now(), Config: m.Config()}
	m.mu.RLock()
	for _, s := range m.streams {
		d.Streams = append(d.Streams, s.diagnostics())
	}
	m.mu.RUnlock()
	slices.SortFunc(d.Streams, func(a, b StreamDiagnostics) int {
		return cmp.Compare(a.StreamID, b.StreamID)
	})
	d.SessionLimit = m.SessionLimit()
	d.Window = *m.rwm.GetWindowStatus()
	d.Backpressure = m.bpm.GetBackpressureStatus()
	return d
}

func (s *streamBuffer) diagnostics() StreamDiagnostics {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := StreamDiagnostics{
		StreamID:       s.id,
		State:          s.state.String(),
		ReadOffset:     s.readPos,
		Limit:          s.limit,
		Advertised:     s.advertised,
		Window:         s.window,
		Buffered:       s.buffered,
		Chunks:         s.chunks.len(),
		FinalSize:      s.finalSize,
		FinalSizeKnown: s.finalKnown,
		Received:       s.receivedLocked(nil),
		Gaps:           s.gapsLocked(nil, s.maxReceivedLocked()),
		Backpressure:   s.bpReason != BackpressureReasonNone,
	}
	if s.state == stateFailed && s.err != nil {
		d.Err = s.err.Error()
	}
	if s.gap.armed {
		d.GapAge = time.Duration(monotime() - s.gap.since)
	}
	return d
}

// DumpState writes Diagnostics as text, one line per stream.
func (m *dataPresentationManager) DumpState(w io.Writer) error {
	d := m.Diagnostics()
	var ew strings.Builder
	fmt.Fprintf(&ew, "presentation state at %s\n", d.Time.Format(time.RFC3339Nano))
	fmt.Fprintf(&ew, "session: window=%d allocated=%d available=%d used=%d (%.1f%%) consumed=%d limit=%d streams=%d\n",
		d.Window.TotalSize, d.Window.Allocated, d.Window.Available, d.Window.Used, 100*d.Window.Utilization,
		d.Window.Consumed, d.SessionLimit, len(d.Streams))
	fmt.Fprintf(&ew, "backpressure: global=%t reasons=%v streams=%d\n",
		d.Backpressure.GlobalActive, d.Backpressure.GlobalReasons, len(d.Backpressure.ActiveStreams))
	for _, s := range d.Streams {
		fin := "?"
		if s.FinalSizeKnown {
			fin = fmt.Sprint(s.FinalSize)
		}
		fmt.Fprintf(&ew, "stream %d: state=%s read=%d limit=%d advertised=%d window=%d buffered=%d chunks=%d final=%s backpressure=%t received=%v gaps=%v",
			s.StreamID, s.State, s.ReadOffset, s.Limit, s.Advertised, s.Window, s.Buffered, s.Chunks, fin, s.Backpressure, s.Received, s.Gaps)
		if s.GapAge > 0 {
			fmt.Fprintf(&ew, " gap_age=%s", s.GapAge)
		}
		if s.Err != "" {
			fmt.Fprintf(&ew, " err=%q", s.Err)
		}
		fmt.Fprintf(&ew, "\n")
	}
	_, err := io.WriteString(w, ew.String())
	return err
}
