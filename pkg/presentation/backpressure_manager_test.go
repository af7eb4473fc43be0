package presentation

import (
	"slices"
	"sync"
	"testing"
)

// eventLog records backpressure callbacks.
type eventLog struct {
	mu sync.Mutex
	ev []bpEvent
}

func (l *eventLog) record(id uint64, active bool, r BackpressureReason) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ev = append(l.ev, bpEvent{id, active, r})
}

func (l *eventLog) events() []bpEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ev)
}

func TestBackpressurePerStream(t *testing.T) {
	m := newTestManager(t, nil)
	mustCreate(t, m, 4)
	b := m.BackpressureManager()
	var log eventLog
	on(&eventsOf(m).bp, log.record)
	if err := b.ActivateBackpressure(4, BackpressureReasonNone); err == nil {
		t.Fatal("activation without a reason accepted")
	}
	_ = b.ActivateBackpressure(4, BackpressureReasonBufferFull)
	_ = b.ActivateBackpressure(4, BackpressureReasonBufferFull) // no change, no event
	if !b.IsBackpressureActive(4) || b.IsBackpressureActive(8) || b.GetBackpressureReason(4) != BackpressureReasonBufferFull {
		t.Fatal("state after activation")
	}
	_ = b.ActivateBackpressure(4, BackpressureReasonSlowConsumer) // reason change
	_ = b.DeactivateBackpressure(4)
	_ = b.DeactivateBackpressure(4)
	want := []bpEvent{{4, true, BackpressureReasonBufferFull}, {4, true, BackpressureReasonSlowConsumer}, {4, false, BackpressureReasonSlowConsumer}}
	if got := log.events(); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	st := b.GetBackpressureStats()
	if st.Activations != 1 || st.Deactivations != 1 || st.ByReason[BackpressureReasonSlowConsumer] != 1 || st.ActiveStreams != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestBackpressureGlobalAndEscalation(t *testing.T) {
	m := newTestManager(t, &PresentationConfig{EscalationStreams: 3})
	for _, id := range []uint64{0, 4, 8} {
		mustCreate(t, m, id)
	}
	b := m.BackpressureManager()
	var log eventLog
	on(&eventsOf(m).bp, log.record)
	_ = b.ActivateGlobalBackpressure(BackpressureReasonMemoryPressure)
	_ = b.ActivateGlobalBackpressure(BackpressureReasonWindowExhausted)
	_ = b.DeactivateGlobalBackpressure(BackpressureReasonMemoryPressure)
	if !b.IsGlobalBackpressureActive() {
		t.Fatal("global off while a reason remains")
	}
	_ = b.DeactivateGlobalBackpressure(BackpressureReasonWindowExhausted)
	if b.IsGlobalBackpressureActive() {
		t.Fatal("global on with no reason")
	}
	for _, id := range []uint64{0, 4, 8} {
		_ = b.ActivateBackpressure(id, BackpressureReasonBufferFull)
	}
	st := b.GetBackpressureStatus()
	if !b.IsGlobalBackpressureActive() || !slices.Equal(st.GlobalReasons, []BackpressureReason{BackpressureReasonEscalation}) || len(st.ActiveStreams) != 3 {
		t.Fatalf("three streams under backpressure did not escalate: %+v", st)
	}
	_ = b.DeactivateBackpressure(8)
	if b.IsGlobalBackpressureActive() {
		t.Fatal("escalation not lifted below the threshold")
	}
	if s := b.GetBackpressureStats(); s.Escalations != 1 || s.GlobalActivations != 3 || s.GlobalDeactivations != 3 {
		t.Fatalf("stats %+v", s)
	}
	_ = b.ActivateGlobalBackpressure(BackpressureReasonManual)
	_ = b.ActivateGlobalBackpressure(BackpressureReasonMemoryPressure)
	_ = b.DeactivateGlobalBackpressure(BackpressureReasonNone)
	if b.IsGlobalBackpressureActive() {
		t.Fatal("deactivate all left global backpressure on")
	}
	var global int
	for _, e := range log.events() {
		if e.streamID == GlobalBackpressureStreamID {
			global++
		}
	}
	if global != 10 {
		t.Fatalf("%d global events, want 10", global)
	}
}

// TestBackpressureFromBufferLevels checks the manager turns per-stream
// backpressure on at the high-water mark and off at the low-water mark.
func TestBackpressureFromBufferLevels(t *testing.T) {
	m := newTestManager(t, &PresentationConfig{InitialStreamWindow: 100 << 10, MinStreamWindow: 64 << 10})
	var log eventLog
	on(&eventsOf(m).bp, log.record)
	mustCreate(t, m, 0)
	_ = m.WriteToStream(0, 0, pattern(80<<10), nil)
	if m.bpm.IsBackpressureActive(0) {
		t.Fatal("backpressure at 80%")
	}
	_ = m.WriteToStream(0, 80<<10, pattern(12<<10), nil)
	if !m.bpm.IsBackpressureActive(0) {
		t.Fatal("no backpressure at 92%")
	}
	p := make([]byte, 30<<10)
	_, _ = m.ReadFromStream(0, p) // 62 KiB left: above low water
	if !m.bpm.IsBackpressureActive(0) {
		t.Fatal("backpressure lifted above the low-water mark")
	}
	_, _ = m.ReadFromStream(0, p) // 32 KiB left: below 50%
	if m.bpm.IsBackpressureActive(0) {
		t.Fatal("backpressure not lifted below the low-water mark")
	}
	want := []bpEvent{{0, true, BackpressureReasonBufferFull}, {0, false, BackpressureReasonBufferFull}}
	if got := log.events(); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func TestGlobalMemoryPressure(t *testing.T) {
	m := newTestManager(t, &PresentationConfig{SessionWindow: 1 << 20, InitialStreamWindow: 1 << 20, MaxStreamWindow: 1 << 20, BackpressureHighWater: 1})
	mustCreate(t, m, 0)
	_ = m.WriteToStream(0, 0, pattern(950<<10), nil)
	if !m.bpm.IsGlobalBackpressureActive() {
		t.Fatal("no global backpressure at 93% of the session window")
	}
	_, _ = m.ReadFromStream(0, make([]byte, 600<<10))
	if m.bpm.IsGlobalBackpressureActive() {
		t.Fatal("global backpressure not lifted at 34%")
	}
}
