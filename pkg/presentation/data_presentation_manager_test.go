package presentation

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestManagerStreamLifecycle(t *testing.T) {
	m := newTestManager(t, nil)
	mustCreate(t, m, 4)
	if err := m.CreateStreamBuffer(4, nil); !errors.Is(err, ErrStreamExists) {
		t.Errorf("second create: %v, want ErrStreamExists", err)
	}
	if _, err := m.GetStreamBuffer(8); !errors.Is(err, ErrStreamNotFound) {
		t.Errorf("get unknown: %v, want ErrStreamNotFound", err)
	}
	if err := m.WriteToStream(8, 0, []byte("x"), nil); !errors.Is(err, ErrStreamNotFound) {
		t.Errorf("write unknown: %v, want ErrStreamNotFound", err)
	}
	if err := m.CreateStreamBuffer(1<<62, nil); !errors.Is(err, ErrInvalidStreamID) {
		t.Errorf("create 2^62: %v", err)
	}
	sb, err := m.GetStreamBuffer(4)
	if err != nil || sb.StreamID() != 4 {
		t.Fatalf("GetStreamBuffer = %v, %v", sb, err)
	}
	if w, ok := m.rwm.StreamWindow(4); !ok || w != DefaultInitialStreamWindow {
		t.Errorf("share = %d, %t; want the initial window", w, ok)
	}
	if err := m.RemoveStreamBuffer(4); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.rwm.StreamWindow(4); ok {
		t.Error("removed stream still holds a window share")
	}
	if err := m.RemoveStreamBuffer(4); !errors.Is(err, ErrStreamNotFound) {
		t.Errorf("second remove: %v", err)
	}
}

func TestManagerRoutesWritesToStreams(t *testing.T) {
	m := newTestManager(t, nil)
	for _, id := range []uint64{0, 4, 8} {
		mustCreate(t, m, id)
	}
	for _, id := range []uint64{8, 0, 4} {
		payload := bytes.Repeat([]byte{byte(id)}, 100)
		if err := m.WriteToStream(id, 50, payload[50:], nil); err != nil {
			t.Fatal(err)
		}
		buf := m.GetBuffer(50)
		copy(buf, payload)
		if err := m.WriteToStream(id, 0, buf, &DataMetadata{Flags: DataFlagPooled | DataFlagFin, PathID: 1}); !errors.Is(err, ErrFinalSize) {
			t.Fatalf("FIN at 50 below received 100: %v", err)
		}
		buf = m.GetBuffer(50)
		copy(buf, payload)
		if err := m.WriteToStream(id, 0, buf, &DataMetadata{Flags: DataFlagPooled, PathID: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if n := leakedBytes(m); n != 0 {
		t.Fatalf("%d bytes of buffers counted as held that no stream reaches", n)
	}
	for _, id := range []uint64{0, 4, 8} {
		p := make([]byte, 200)
		n, err := m.ReadFromStream(id, p)
		if err != nil || n != 100 || !bytes.Equal(p[:n], bytes.Repeat([]byte{byte(id)}, 100)) {
			t.Fatalf("stream %d: read %d, %v", id, n, err)
		}
	}
}

func TestManagerReadBlocksUntilWritten(t *testing.T) {
	m := newTestManager(t, nil)
	mustCreate(t, m, 0)
	done := make(chan result)
	p := make([]byte, 10)
	go func() {
		n, err := m.ReadFromStream(0, p)
		done <- result{n, err}
	}()
	waitForReader(t, m, 0)
	if err := m.WriteToStream(0, 3, []byte("defg"), nil); err != nil {
		t.Fatal(err)
	}
	if err := m.WriteToStream(0, 0, []byte("abc"), nil); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || string(p[:r.n]) != "abcdefg"[:r.n] || r.n < 3 {
		t.Fatalf("read %q, %v", p[:r.n], r.err)
	}
}

func TestManagerReadContextAndTimeout(t *testing.T) {
	m := newTestManager(t, nil)
	mustCreate(t, m, 0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result)
	go func() {
		n, err := m.ReadFromStreamContext(ctx, 0, make([]byte, 1))
		done <- result{n, err}
	}()
	waitForReader(t, m, 0)
	cancel()
	if r := <-done; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("cancelled read: %v", r.err)
	}
	_, err := m.ReadFromStreamWithTimeout(0, make([]byte, 1), time.Millisecond)
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("timed-out read: %v, want os.ErrDeadlineExceeded and a net.Error timeout", err)
	}
	if _, err := m.ReadFromStreamWithTimeout(0, make([]byte, 1), 0); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("zero timeout: %v", err)
	}
	if err := m.WriteToStream(0, 0, []byte("a"), nil); err != nil {
		t.Fatal(err)
	}
	if n, err := m.ReadFromStreamWithTimeout(0, make([]byte, 1), 0); n != 1 || err != nil {
		t.Fatalf("zero timeout with data: %d, %v", n, err)
	}
}

func TestManagerFlowControlLimitAndCallback(t *testing.T) {
	m := newTestManager(t, &PresentationConfig{InitialStreamWindow: 64 << 10, MinStreamWindow: 64 << 10})
	mustCreate(t, m, 0)
	var limits []uint64
	on(&eventsOf(m).limit, func(id, limit uint64) { limits = append(limits, limit) })
	if l, _ := m.StreamLimit(0); l != 64<<10 {
		t.Fatalf("initial limit %d", l)
	}
	buf := m.GetBuffer(10)
	var fe *FlowControlError
	if err := m.WriteToStream(0, 64<<10-5, buf, &DataMetadata{Flags: DataFlagPooled}); !errors.As(err, &fe) {
		t.Fatalf("write past the limit: %v", err)
	}
	if leakedBytes(m) != 0 {
		t.Fatal("a rejected pooled buffer is counted as held")
	}
	if u := m.rwm.used.Load(); u != 0 {
		t.Fatalf("rejected data counted as buffered: %d", u)
	}
	data := pattern(64 << 10)
	if err := m.WriteToStream(0, 0, data, nil); err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 10<<10)
	if _, err := m.ReadFromStream(0, p); err != nil { // 10 KiB < a quarter: no advertisement
		t.Fatal(err)
	}
	if len(limits) != 0 {
		t.Fatalf("advertised after 10 KiB of a 64 KiB window: %v", limits)
	}
	if _, err := m.ReadFromStream(0, p); err != nil { // 20 KiB read: advertise
		t.Fatal(err)
	}
	if !slices.Equal(limits, []uint64{64<<10 + 20<<10}) {
		t.Fatalf("limits advertised %v, want [%d]", limits, 64<<10+20<<10)
	}
	if l, _ := m.StreamLimit(0); l != 84<<10 {
		t.Fatalf("StreamLimit = %d", l)
	}
	if err := m.SenderBlocked(0, 64<<10); err != nil || len(limits) != 2 || limits[1] != 84<<10 {
		t.Fatalf("SenderBlocked: %v, limits %v", err, limits)
	}
	// A sender blocked at the current limit gets the next increase at once,
	// however small: it may hold the very bytes the reader waits for.
	if err := m.SenderBlocked(0, 84<<10); err != nil || len(limits) != 2 {
		t.Fatalf("SenderBlocked at the limit: %v, limits %v", err, limits)
	}
	if _, err := m.ReadFromStream(0, p[:1]); err != nil {
		t.Fatal(err)
	}
	if len(limits) != 3 || limits[2] != 84<<10+1 {
		t.Fatalf("after a 1-byte read with a blocked sender: limits %v", limits)
	}
	if _, err := m.ReadFromStream(0, p[:1]); err != nil || len(limits) != 3 {
		t.Fatalf("second small read advertised again: %v, %v", err, limits)
	}
}

func TestManagerSessionLimit(t *testing.T) {
	m := newTestManager(t, &PresentationConfig{SessionWindow: 1 << 20, InitialStreamWindow: 512 << 10, MinStreamWindow: 64 << 10})
	var got []uint64
	on(&eventsOf(m).session, func(l uint64) { got = append(got, l) })
	mustCreate(t, m, 0)
	if l := m.SessionLimit(); l != 1<<20 {
		t.Fatalf("session limit %d, want the window", l)
	}
	if err := m.WriteToStream(0, 0, pattern(300<<10), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := m.ReadFromStream(0, make([]byte, 300<<10)); err != nil {
		t.Fatal(err)
	}
	if l := m.SessionLimit(); l != 1<<20+300<<10 {
		t.Fatalf("session limit %d after reading 300 KiB", l)
	}
	if !slices.Equal(got, []uint64{1<<20 + 300<<10}) {
		t.Fatalf("session limit callbacks %v", got)
	}
}

func TestManagerAutoTune(t *testing.T) {
	m := newTestManager(t, &PresentationConfig{InitialStreamWindow: 64 << 10, MinStreamWindow: 64 << 10, MaxStreamWindow: 256 << 10})
	m.SetRTT(time.Hour) // every read is fast compared with the RTT
	meta := &StreamMetadata{Priority: StreamPriorityCritical}
	if err := m.CreateStreamBuffer(0, meta); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, m, 4)
	drain := func(id uint64, n int) {
		t.Helper()
		var off uint64
		for range n {
			l, err := m.StreamLimit(id)
			if err != nil {
				t.Fatal(err)
			}
			s, _ := m.lookup(id)
			off = s.GetReadPosition()
			if err := m.WriteToStream(id, off, make([]byte, l-off), nil); err != nil {
				t.Fatal(err)
			}
			if _, err := m.ReadFromStream(id, make([]byte, l-off)); err != nil {
				t.Fatal(err)
			}
		}
	}
	drain(0, 4)
	if w, _ := m.rwm.StreamWindow(0); w != 256<<10 {
		t.Fatalf("fast reader's window %d, want the 256 KiB maximum", w)
	}
	// Global backpressure stops growth, except for critical streams.
	_ = m.bpm.ActivateGlobalBackpressure(BackpressureReasonManual)
	drain(4, 4)
	if w, _ := m.rwm.StreamWindow(4); w != 64<<10 {
		t.Fatalf("window grew to %d under global backpressure", w)
	}
	_ = m.bpm.DeactivateGlobalBackpressure(BackpressureReasonNone)
	m.SetRTT(time.Nanosecond) // now every reader is slow
	drain(4, 4)
	if w, _ := m.rwm.StreamWindow(4); w != 64<<10 {
		t.Fatalf("slow reader's window grew to %d", w)
	}
}

func TestManagerGapCallback(t *testing.T) {
	m := newTestManager(t, &PresentationConfig{GapTimeout: 10 * time.Millisecond})
	mustCreate(t, m, 0)
	reports := make(chan GapReport, 4)
	on(&eventsOf(m).gap, func(r GapReport) {
		select {
		case reports <- r:
		default:
		}
	})
	if err := m.WriteToStream(0, 100, pattern(50), nil); err != nil {
		t.Fatal(err)
	}
	if err := m.WriteToStream(0, 200, pattern(50), nil); err != nil {
		t.Fatal(err)
	}
	var r GapReport
	select {
	case r = <-reports:
	case <-time.After(10 * time.Second):
		t.Fatal("no gap report")
	}
	want := []Range{{0, 100}, {150, 200}}
	if r.StreamID != 0 || r.ReadOffset != 0 || !slices.Equal(r.Missing, want) || r.Age < 10*time.Millisecond {
		t.Fatalf("report %+v, want missing %v after at least 10ms", r, want)
	}
	mr, err := m.MissingRanges(0)
	if err != nil || !slices.Equal(mr.Ranges, want) {
		t.Fatalf("MissingRanges = %+v, %v", mr, err)
	}
	if err := m.WriteToStream(0, 0, pattern(100), nil); err != nil {
		t.Fatal(err)
	}
	s, _ := m.lookup(0)
	s.mu.Lock()
	armed := s.gap.armed
	s.mu.Unlock()
	if armed {
		t.Fatal("gap timer still armed after the hole at the read position was filled")
	}
}

func TestManagerConfig(t *testing.T) {
	if _, err := NewDataPresentationManager(&PresentationConfig{MinStreamWindow: 1 << 20, InitialStreamWindow: 512 << 10}); err == nil {
		t.Fatal("min window above initial window accepted")
	} else {
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != "MinStreamWindow" || !strings.Contains(err.Error(), "InitialStreamWindow") {
			t.Fatalf("error %v does not name the field and its bound", err)
		}
	}
	bad := []PresentationConfig{
		{BackpressureHighWater: 1.5},
		{BackpressureLowWater: 0.95},
		{GapTimeout: -1},
		{InitialStreamWindow: 32 << 20},
		{SessionWindow: 1 << 63},
		{EscalationStreams: -1},
	}
	for _, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if c := DefaultPresentationConfig(); c.SessionWindow != 24<<20 || c.GapTimeout != 2*time.Second || c.BackpressureHighWater != 0.9 {
		t.Errorf("defaults %+v", c)
	}
	m := newTestManager(t, nil)
	if err := m.UpdateConfig(&PresentationConfig{BackpressureHighWater: 2}); err == nil {
		t.Fatal("invalid update accepted")
	}
	if err := m.UpdateConfig(&PresentationConfig{InitialStreamWindow: 128 << 10, SessionWindow: 8 << 20}); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, m, 0)
	if w, _ := m.rwm.StreamWindow(0); w != 128<<10 {
		t.Fatalf("new stream after update got %d", w)
	}
	if m.rwm.GetWindowSize() != 8<<20 || m.Config().InitialStreamWindow != 128<<10 {
		t.Fatal("session window not updated")
	}
}

func TestManagerMetricsAndDiagnostics(t *testing.T) {
	m := newTestManager(t, nil)
	mustCreate(t, m, 0)
	mustCreate(t, m, 4)
	_ = m.WriteToStream(0, 0, pattern(1000), nil)
	_ = m.WriteToStream(0, 500, pattern(1000)[500:], nil)
	_ = m.WriteToStream(4, 100, pattern(10), nil)
	if _, err := m.ReadFromStream(0, make([]byte, 400)); err != nil {
		t.Fatal(err)
	}
	mt := m.Metrics()
	if mt.BytesWritten != 1010 || mt.BytesRead != 400 || mt.DuplicateBytes != 500 || mt.Writes != 3 || mt.ActiveStreams != 2 {
		t.Errorf("metrics %+v", mt)
	}
	if mt.BufferedBytes != 610 || mt.WindowUsed != 610 {
		t.Errorf("buffered %d, window used %d; want 610", mt.BufferedBytes, mt.WindowUsed)
	}
	if mt.LatencyAvg < 0 || mt.LatencyMax < mt.LatencyAvg || mt.Interval <= 0 {
		t.Errorf("latency avg %v max %v interval %v", mt.LatencyAvg, mt.LatencyMax, mt.Interval)
	}
	d := m.Diagnostics()
	if len(d.Streams) != 2 || d.Streams[1].StreamID != 4 || !slices.Equal(d.Streams[1].Received, []Range{{100, 110}}) ||
		!slices.Equal(d.Streams[1].Gaps, []Range{{0, 100}}) || d.Streams[0].ReadOffset != 400 {
		t.Errorf("diagnostics %+v", d.Streams)
	}
	var out bytes.Buffer
	if err := m.DumpState(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"stream 0: state=open read=400", "stream 4:", "gaps=[[0, 100)]", "session: window=25165824"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dump lacks %q:\n%s", want, out.String())
		}
	}
	st, err := m.GetStreamStats(0)
	if err != nil || st.BytesRead != 400 || st.BufferUsage.Buffered != 600 {
		t.Errorf("stream stats %+v, %v", st, err)
	}
	g := m.GetGlobalStats()
	if g.ActiveStreams != 2 || g.TotalBuffered != 610 || g.StreamsCreated != 2 {
		t.Errorf("global stats %+v", g)
	}
}

func TestManagerEOF(t *testing.T) {
	m := newTestManager(t, nil)
	mustCreate(t, m, 0)
	_ = m.WriteToStream(0, 5, []byte("world"), &DataMetadata{Flags: DataFlagFin})
	_ = m.WriteToStream(0, 0, []byte("hello"), nil)
	got, err := io.ReadAll(readerFunc(func(p []byte) (int, error) { return m.ReadFromStream(0, p) }))
	if err != nil || string(got) != "helloworld" {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
}

// readerFunc adapts a function to io.Reader.
type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// TestReorderGrowsWindow: bytes arriving in the last quarter of the window
// while the reader waits at a gap grow the window at once: fourfold when
// nothing is readable, else twofold. Bytes arriving in order, or short of
// the last quarter, do not.
func TestReorderGrowsWindow(t *testing.T) {
	const win = 64 << 10
	m := newTestManager(t, &PresentationConfig{InitialStreamWindow: win, MinStreamWindow: win, MaxStreamWindow: 16 * win})
	var limits []uint64
	on(&eventsOf(m).limit, func(id, limit uint64) { limits = append(limits, id, limit) })
	for _, id := range []uint64{0, 4} {
		mustCreate(t, m, id)
	}
	write := func(id, off, n uint64) {
		t.Helper()
		if err := m.WriteToStream(id, off, pattern(int(n)), nil); err != nil {
			t.Fatal(err)
		}
	}
	// Stream 0: a fast path's bytes reach the middle, then the last
	// quarter, while the first byte is missing.
	write(0, 1, win/2)
	if len(limits) != 0 {
		t.Fatalf("bytes short of the last quarter advertised %v", limits)
	}
	write(0, win-win/8, win/8)
	if !slices.Equal(limits, []uint64{0, 4 * win}) {
		t.Fatalf("bytes at the end of the window behind a gap advertised %v, want [0 %d]", limits, 4*win)
	}
	// The gap fills: half a window is readable, which is under a quarter
	// of the new window. Bytes at its end double it once a quarter of it
	// is buffered.
	write(0, 0, 1)
	write(0, 2*win, win-1)
	write(0, 4*win-win/8, win/8)
	if l, _ := m.StreamLimit(0); l != 8*win {
		t.Fatalf("limit %d after bytes at the end of 4 windows, want %d", l, 8*win)
	}
	// Stream 4: everything in order and unread: the reader is behind.
	write(4, 0, win)
	if l, _ := m.StreamLimit(4); l != win {
		t.Fatalf("in-order bytes nobody reads grew the limit to %d", l)
	}
}

// TestReorderNeedsBufferedBytes: bytes near the limit grow nothing while
// little is buffered: a sender cannot make the window grow with a few bytes
// and nothing readable (the growth it gets is for data it already placed).
func TestReorderNeedsBufferedBytes(t *testing.T) {
	const win = 64 << 10
	m := newTestManager(t, &PresentationConfig{InitialStreamWindow: win, MinStreamWindow: win, MaxStreamWindow: 16 * win, MaxStreamRanges: win})
	mustCreate(t, m, 0)
	for off := uint64(win - win/4); off < win; off += 2 {
		if err := m.WriteToStream(0, off, []byte{1}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if l, _ := m.StreamLimit(0); l != win {
		t.Fatalf("%d bytes at every other offset of the last quarter grew the limit to %d, want %d", win/8, l, win)
	}
}

// TestSenderBlockedGrowsWindowBehindGap: a sender stuck at a limit while
// the reader has nothing to read (bytes wait behind a gap) grows the
// window at once, once per reported limit, even a limit that lags ours; a
// reader that is behind does not.
func TestSenderBlockedGrowsWindowBehindGap(t *testing.T) {
	const win = 64 << 10
	m := newTestManager(t, &PresentationConfig{InitialStreamWindow: win, MinStreamWindow: win, MaxStreamWindow: 16 * win})
	mustCreate(t, m, 0)
	mustCreate(t, m, 4)
	var limits []uint64
	on(&eventsOf(m).limit, func(id, limit uint64) {
		if id == 0 {
			limits = append(limits, limit)
		}
	})
	// The first half but its first byte arrived: the reader waits at the
	// gap with nothing readable, so the window grows fourfold.
	if err := m.WriteToStream(0, 1, pattern(win/2-1), nil); err != nil {
		t.Fatal(err)
	}
	if err := m.SenderBlocked(0, win); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(limits, []uint64{4 * win}) {
		t.Fatalf("limits advertised %v, want [%d]", limits, 4*win)
	}
	// A late report at the old limit is answered, but grows nothing.
	if err := m.SenderBlocked(0, win); err != nil {
		t.Fatal(err)
	}
	if l, _ := m.StreamLimit(0); l != 4*win {
		t.Fatalf("a second report at the old limit moved the limit to %d", l)
	}
	// A limit that was never advertised grows nothing.
	if err := m.SenderBlocked(0, 5*win); err != nil {
		t.Fatal(err)
	}
	if l, _ := m.StreamLimit(0); l != 4*win {
		t.Fatalf("a report at a limit never advertised moved the limit to %d", l)
	}
	// The gap fills and the reader reads all half window: the limit slides
	// to 4.5 windows. The sender, which has not seen that yet, reports
	// itself blocked at 4 windows: the window grows again, since nothing
	// is readable.
	if err := m.WriteToStream(0, 0, pattern(1), nil); err != nil {
		t.Fatal(err)
	}
	if n, err := m.ReadFromStream(0, make([]byte, win/2)); n != win/2 || err != nil {
		t.Fatalf("read %d, %v", n, err)
	}
	if l, _ := m.StreamLimit(0); l != 4*win+win/2 {
		t.Fatalf("limit %d after reading half a window, want %d", l, 4*win+win/2)
	}
	if err := m.SenderBlocked(0, 4*win); err != nil {
		t.Fatal(err)
	}
	if l, _ := m.StreamLimit(0); l != 16*win+win/2 {
		t.Fatalf("a sender blocked at a lagging limit moved the limit to %d, want %d", l, 16*win+win/2)
	}
	// Stream 4: the bytes are readable and unread; the reader is behind.
	if err := m.WriteToStream(4, 0, pattern(win), nil); err != nil {
		t.Fatal(err)
	}
	if err := m.SenderBlocked(4, win); err != nil {
		t.Fatal(err)
	}
	if l, _ := m.StreamLimit(4); l != win {
		t.Fatalf("stream with an idle reader grew its limit to %d", l)
	}
}
