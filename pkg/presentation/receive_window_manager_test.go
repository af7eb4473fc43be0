package presentation

import (
	"errors"
	"testing"
)

func TestReceiveWindowAllocateRelease(t *testing.T) {
	m := newTestManager(t, &PresentationConfig{SessionWindow: 1000, InitialStreamWindow: 100, MinStreamWindow: 100, MaxStreamWindow: 1000})
	mustCreate(t, m, 0)
	mustCreate(t, m, 4)
	w := m.ReceiveWindowManager()
	if err := w.AllocateWindow(8, 100); !errors.Is(err, ErrStreamNotFound) {
		t.Fatalf("share of an unknown stream: %v, want ErrStreamNotFound", err)
	}
	if err := w.AllocateWindow(0, 600); err != nil {
		t.Fatal(err)
	}
	if err := w.AllocateWindow(4, 500); !errors.Is(err, ErrWindowExhausted) {
		t.Fatalf("over-allocation: %v, want ErrWindowExhausted", err)
	}
	if err := w.AllocateWindow(4, 400); err != nil {
		t.Fatal(err)
	}
	if got := w.GetAvailableWindow(); got != 0 {
		t.Fatalf("available %d, want 0", got)
	}
	if err := w.AllocateWindow(0, 300); err != nil { // shrinking always fits
		t.Fatal(err)
	}
	st := w.GetWindowStatus()
	if st.Allocated != 700 || st.Available != 300 || st.Streams != 2 || st.StreamAllocations[0] != 300 {
		t.Fatalf("status %+v", st)
	}
	if err := w.ReleaseWindow(4); err != nil {
		t.Fatal(err)
	}
	if err := w.ReleaseWindow(4); !errors.Is(err, ErrStreamNotFound) {
		t.Fatalf("second release: %v", err)
	}
	if got := w.GetAvailableWindow(); got != 700 {
		t.Fatalf("available %d after release, want 700", got)
	}
	if err := w.SetWindowSize(200); err != nil {
		t.Fatal(err)
	}
	if got := w.GetAvailableWindow(); got != 0 {
		t.Fatalf("available %d after shrinking below the shares", got)
	}
	if err := w.SetWindowSize(0); err == nil {
		t.Fatal("zero window accepted")
	}
}

func TestReceiveWindowGrowAndForce(t *testing.T) {
	m := newTestManager(t, &PresentationConfig{SessionWindow: 1000, InitialStreamWindow: 800, MinStreamWindow: 100, MaxStreamWindow: 1000})
	w := m.rwm
	for _, id := range []uint64{0, 4, 8} {
		mustCreate(t, m, id)
	}
	for id, want := range map[uint64]uint64{0: 800, 4: 200, 8: 100} {
		if got, ok := w.StreamWindow(id); !ok || got != want {
			t.Fatalf("stream %d: share %d, %t; want %d (the initial window, what is free, the forced minimum)", id, got, ok, want)
		}
	}
	if st := w.GetWindowStatus(); st.Allocated != 1100 || st.Available != 0 {
		t.Fatalf("after forced minimum: %+v", st)
	}
	if got := w.sessionLimit(); got != 1100 {
		t.Fatalf("session limit %d, want the overcommitted 1100", got)
	}
	if err := m.RemoveStreamBuffer(0); err != nil {
		t.Fatal(err)
	}
	if got := w.grow(200, 400); got != 400 {
		t.Fatalf("grow = %d, want 400", got)
	}
	if got := w.grow(400, 10000); got != 1000-100 {
		t.Fatalf("grow bounded by the free window = %d, want 900", got)
	}
}

func TestReceiveWindowSlideAndCallbacks(t *testing.T) {
	m := newTestManager(t, &PresentationConfig{SessionWindow: 100, InitialStreamWindow: 100, MinStreamWindow: 100, MaxStreamWindow: 100})
	w := m.ReceiveWindowManager()
	var full, avail int
	on(&eventsOf(m).full, func(f bool) {
		if f {
			full++
		} else {
			avail++
		}
	})
	w.RecordData(60)
	if w.IsWindowFull() || w.GetWindowUtilization() != 0.6 {
		t.Fatalf("utilisation %v", w.GetWindowUtilization())
	}
	w.RecordData(40)
	w.RecordData(10)
	if !w.IsWindowFull() || full != 1 {
		t.Fatalf("full=%t callbacks=%d, want full once", w.IsWindowFull(), full)
	}
	if err := w.SlideWindow(200); err == nil {
		t.Fatal("sliding past the buffered bytes accepted")
	}
	if err := w.SlideWindow(30); err != nil {
		t.Fatal(err)
	}
	if w.IsWindowFull() || avail != 1 {
		t.Fatalf("after sliding 30: full=%t available callbacks=%d", w.IsWindowFull(), avail)
	}
	st := w.GetWindowStatus()
	if st.Used != 80 || st.Consumed != 30 {
		t.Fatalf("status %+v", st)
	}
	on(&eventsOf(m).full, func(bool) {})
	w.RecordData(50)
	if full != 1 {
		t.Fatal("replaced event function called")
	}
}
