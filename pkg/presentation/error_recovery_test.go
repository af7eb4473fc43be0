package presentation

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"
)

// TestConflictIsolatesStream fails one stream on corrupt data while the
// other goes on, releases the failed stream's memory and window share, and
// restarts it with a fresh state.
func TestConflictIsolatesStream(t *testing.T) {
	m := newTestManager(t, nil)
	mustCreate(t, m, 0)
	mustCreate(t, m, 4)
	data := pattern(1000)
	for _, id := range []uint64{0, 4} {
		if err := m.WriteToStream(id, 100, data[100:500], nil); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan result)
	go func() {
		n, err := m.ReadFromStream(0, make([]byte, 10))
		done <- result{n, err}
	}()
	waitForReader(t, m, 0)
	bad := slices.Clone(data[400:600])
	bad[50] ^= 1
	err := m.WriteToStream(0, 400, bad, &DataMetadata{PathID: 2})
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.PathID != 2 || ce.Offset != 450 {
		t.Fatalf("conflict: %v", err)
	}
	if r := <-done; !errors.Is(r.err, ErrConflictingData) {
		t.Fatalf("blocked reader of the failed stream got %v", r.err)
	}
	if _, ok := m.rwm.StreamWindow(0); ok {
		t.Error("failed stream keeps its window share")
	}
	if got := m.rwm.used.Load(); got != 400 {
		t.Errorf("session buffers %d bytes, want the other stream's 400", got)
	}
	if err := m.WriteToStream(0, 0, data[:100], nil); !errors.Is(err, ErrStreamClosed) {
		t.Errorf("write to the failed stream: %v", err)
	}
	if _, err := m.StreamLimit(0); !errors.Is(err, ErrStreamClosed) {
		t.Errorf("limit of the failed stream: %v", err)
	}
	// The other stream is untouched.
	if err := m.WriteToStream(4, 0, data[:100], nil); err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 1000)
	if n, err := m.ReadFromStream(4, p); err != nil || !bytes.Equal(p[:n], data[:500]) {
		t.Fatalf("healthy stream read %d bytes, %v", n, err)
	}
	if g := m.GetGlobalStats(); g.FailedStreams != 1 {
		t.Errorf("failed streams %d", g.FailedStreams)
	}
	// Restart: remove and create afresh.
	if err := m.RemoveStreamBuffer(0); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, m, 0)
	if err := m.WriteToStream(0, 0, data[:10], nil); err != nil {
		t.Fatal(err)
	}
	if n, err := m.ReadFromStream(0, p); err != nil || n != 10 {
		t.Fatalf("restarted stream read %d, %v", n, err)
	}
}

func TestFailStreamWakesReader(t *testing.T) {
	m := newTestManager(t, nil)
	mustCreate(t, m, 0)
	_ = m.WriteToStream(0, 10, pattern(10), nil)
	done := make(chan result)
	go func() {
		n, err := m.ReadFromStream(0, make([]byte, 10))
		done <- result{n, err}
	}()
	waitForReader(t, m, 0)
	reset := errors.New("reset by peer")
	if err := m.FailStream(0, reset); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.err != reset {
		t.Fatalf("reader got %v, want the reset error", r.err)
	}
	if err := m.FailStream(0, reset); !errors.Is(err, ErrStreamClosed) {
		t.Fatalf("second FailStream: %v", err)
	}
	if m.rwm.used.Load() != 0 {
		t.Fatal("failed stream's bytes still counted")
	}
}

func TestRemoveAndCloseWakeReaders(t *testing.T) {
	m, err := newDataPresentationManager(&PresentationConfig{GapTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, m, 0)
	mustCreate(t, m, 4)
	_ = m.WriteToStream(4, 10, pattern(10), nil) // arms a gap timer Close must stop
	results := make(chan result, 2)
	for _, id := range []uint64{0, 4} {
		go func() {
			n, err := m.ReadFromStream(id, make([]byte, 1))
			results <- result{n, err}
		}()
		waitForReader(t, m, id)
	}
	if err := m.RemoveStreamBuffer(0); err != nil {
		t.Fatal(err)
	}
	if r := <-results; !errors.Is(r.err, ErrStreamClosed) {
		t.Fatalf("reader of a removed stream got %v", r.err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if r := <-results; !errors.Is(r.err, ErrClosed) {
		t.Fatalf("reader at Close got %v", r.err)
	}
	if err := m.WriteToStream(4, 0, []byte("x"), nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after Close: %v", err)
	}
	if err := m.CreateStreamBuffer(8, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("create after Close: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

// TestStreamErrorFormatsWhenRead: the error every removed stream gets is
// made without formatting it (one allocation); the message, made when
// read, names the stream and what happened, and errors.Is sees the sentinel.
func TestStreamErrorFormatsWhenRead(t *testing.T) {
	err := streamErr(7, ErrStreamClosed)
	if want := "stream 7: " + ErrStreamClosed.Error(); err.Error() != want || !errors.Is(err, ErrStreamClosed) {
		t.Fatalf("streamErr(7, ErrStreamClosed) = %q (Is %t), want %q", err, errors.Is(err, ErrStreamClosed), want)
	}
	if n := testing.AllocsPerRun(100, func() { err = streamErr(7, ErrStreamClosed) }); n > 1 {
		t.Fatalf("a stream error takes %v allocations, want 1", n)
	}
}

// TestWindowExhaustion: a stream that does not fit still gets the minimum
// window, global backpressure goes on, and comes off once a share is freed.
func TestWindowExhaustion(t *testing.T) {
	m := newTestManager(t, &PresentationConfig{SessionWindow: 256 << 10, InitialStreamWindow: 128 << 10, MinStreamWindow: 64 << 10})
	var log eventLog
	on(&eventsOf(m).bp, log.record)
	mustCreate(t, m, 0)
	mustCreate(t, m, 4)
	if m.bpm.IsGlobalBackpressureActive() {
		t.Fatal("global backpressure with a window that fits")
	}
	mustCreate(t, m, 8)
	if w, _ := m.rwm.StreamWindow(8); w != 64<<10 {
		t.Fatalf("exhausted window granted %d, want the 64 KiB minimum", w)
	}
	if l, _ := m.StreamLimit(8); l != 64<<10 {
		t.Fatalf("limit %d", l)
	}
	if !m.bpm.IsGlobalBackpressureActive() || m.GetGlobalStats().WindowExhausted != 1 {
		t.Fatal("exhaustion not recorded")
	}
	if got := m.SessionLimit(); got != 320<<10 {
		t.Fatalf("session limit %d, want the overcommitted 320 KiB", got)
	}
	// The stream with the minimum still works.
	if err := m.WriteToStream(8, 0, pattern(64<<10), nil); err != nil {
		t.Fatal(err)
	}
	if err := m.FailStream(0, nil); err != nil { // forced cleanup of its share
		t.Fatal(err)
	}
	if m.bpm.IsGlobalBackpressureActive() {
		t.Fatal("exhaustion backpressure not lifted after a share was freed")
	}
	if freed := m.ForceCleanup(); freed != 0 {
		t.Fatalf("ForceCleanup freed %d bytes of an already released share", freed)
	}
	want := []bpEvent{
		{GlobalBackpressureStreamID, true, BackpressureReasonWindowExhausted},
		{8, true, BackpressureReasonBufferFull},
		{GlobalBackpressureStreamID, false, BackpressureReasonWindowExhausted},
	}
	if got := log.events(); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func TestForceCleanupReleasesLeftoverShares(t *testing.T) {
	m := newTestManager(t, nil)
	mustCreate(t, m, 0)
	s, _ := m.lookup(0)
	s.mu.Lock()
	s.state = stateFailed // as if the release had been missed
	s.mu.Unlock()
	if freed := m.ForceCleanup(); freed != DefaultInitialStreamWindow {
		t.Fatalf("ForceCleanup freed %d", freed)
	}
	if _, ok := m.rwm.StreamWindow(0); ok {
		t.Fatal("share still allocated")
	}
}

func TestPersistentGapRepeatsUntilFilled(t *testing.T) {
	m := newTestManager(t, &PresentationConfig{GapTimeout: 5 * time.Millisecond})
	mustCreate(t, m, 0)
	reports := make(chan GapReport, 16)
	on(&eventsOf(m).gap, func(r GapReport) {
		select {
		case reports <- r:
		default:
		}
	})
	_ = m.WriteToStream(0, 0, pattern(10), nil)
	_ = m.WriteToStream(0, 20, pattern(10), nil)
	_, _ = m.ReadFromStream(0, make([]byte, 10)) // reader now waits at the hole [10,20)
	var ages []time.Duration
	for len(ages) < 2 {
		select {
		case r := <-reports:
			if !slices.Equal(r.Missing, []Range{{10, 20}}) || r.ReadOffset != 10 {
				t.Fatalf("report %+v", r)
			}
			ages = append(ages, r.Age)
		case <-time.After(10 * time.Second):
			t.Fatal("gap not reported twice")
		}
	}
	if ages[1] <= ages[0] {
		t.Fatalf("ages %v do not grow", ages)
	}
	if m.Metrics().GapReports < 2 {
		t.Fatal("gap reports not counted")
	}
}
