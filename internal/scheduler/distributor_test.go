package scheduler

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// memClient stands in for the receiving client: it stores the bytes every
// path writes and reports each path's cumulative count to the Distributor
// after every write, as KWIK's client reports do periodically.
type memClient struct {
	d  *Distributor
	mu sync.Mutex
	// data is the received object.
	data      []byte
	delivered map[uint64]uint64
}

func newMemClient(size uint64) *memClient {
	return &memClient{data: make([]byte, size), delivered: make(map[uint64]uint64)}
}

// pathWriter is one path's view of a memClient.
type pathWriter struct {
	c    *memClient
	id   uint64
	gate <-chan struct{} // if set, writes wait for it to close
}

func (w pathWriter) WriteAt(p []byte, off int64) (int, error) {
	if w.gate != nil {
		<-w.gate
	}
	c := w.c
	c.mu.Lock()
	copy(c.data[off:], p)
	c.delivered[w.id] += uint64(len(p))
	n := c.delivered[w.id]
	c.mu.Unlock()
	if err := c.d.Report(Report{PathID: w.id, Delivered: n}); err != nil {
		return 0, err
	}
	return len(p), nil
}

// blackHole is a source that accepts ranges and never delivers them.
type blackHole struct {
	id   uint64
	once sync.Once
	sent chan struct{} // closed at the first Send
	err  error         // returned by Send if set
}

func newBlackHole(id uint64) *blackHole { return &blackHole{id: id, sent: make(chan struct{})} }

func (b *blackHole) PathID() uint64 { return b.id }
func (b *blackHole) Send(context.Context, Range) error {
	b.once.Do(func() { close(b.sent) })
	return b.err
}

func randomContent(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rng := rand.New(rand.NewPCG(uint64(n), 1))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// runAsync starts d.Run and returns a channel with its result.
func runAsync(ctx context.Context, d *Distributor) <-chan error {
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	return done
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestDistributorDeliversEverything(t *testing.T) {
	content := randomContent(t, 3<<20+12345)
	size := uint64(len(content))
	d, err := NewDistributor(Config{Size: size, PieceSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	c := newMemClient(size)
	c.d = d
	for id := range uint64(3) {
		if err := d.AddSource(WriterSource(id, pathWriter{c: c, id: id}, bytes.NewReader(content))); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Run(testContext(t)); err != nil {
		t.Fatalf("Run: %v", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !bytes.Equal(c.data, content) {
		t.Fatal("received object differs from the content")
	}
	st := d.Stats()
	var delivered uint64
	for _, p := range st.Paths {
		delivered += p.DeliveredBytes
	}
	if st.CompleteBytes != size || delivered < size {
		t.Errorf("stats: complete %d, delivered %d, want %d", st.CompleteBytes, delivered, size)
	}
}

func TestDistributorPathDownReassigns(t *testing.T) {
	content := randomContent(t, 1<<20)
	size := uint64(len(content))
	d, err := NewDistributor(Config{Size: size, PieceSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	c := newMemClient(size)
	c.d = d
	gate := make(chan struct{})
	var closeGate sync.Once
	defer closeGate.Do(func() { close(gate) })
	hole := newBlackHole(1)
	if err := d.AddSource(WriterSource(0, pathWriter{c: c, id: 0, gate: gate}, bytes.NewReader(content))); err != nil {
		t.Fatal(err)
	}
	if err := d.AddSource(hole); err != nil {
		t.Fatal(err)
	}
	done := runAsync(testContext(t), d)
	<-hole.sent
	if err := d.PathDown(1); err != nil {
		t.Fatal(err)
	}
	closeGate.Do(func() { close(gate) })
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !bytes.Equal(c.data, content) {
		t.Fatal("received object differs from the content")
	}
	st := d.Stats()
	if st.Paths[1].Alive {
		t.Error("path 1 alive after PathDown")
	}
	if st.ReassignedBytes != st.Paths[1].AssignedBytes || st.ReassignedBytes == 0 {
		t.Errorf("reassigned %d bytes, want all %d the dead path had", st.ReassignedBytes, st.Paths[1].AssignedBytes)
	}
}

func TestDistributorStalledPathIsCopiedAfterAddSource(t *testing.T) {
	content := randomContent(t, 512<<10)
	size := uint64(len(content))
	d, err := NewDistributor(Config{Size: size, PieceSize: 64 << 10, ReportInterval: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c := newMemClient(size)
	c.d = d
	hole := newBlackHole(0) // never delivers and is never reported down
	if err := d.AddSource(hole); err != nil {
		t.Fatal(err)
	}
	done := runAsync(testContext(t), d)
	<-hole.sent
	if err := d.AddSource(WriterSource(1, pathWriter{c: c, id: 1}, bytes.NewReader(content))); err != nil {
		t.Fatal(err)
	}
	// Only the deadline timer can get the black hole's pieces copied.
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !bytes.Equal(c.data, content) {
		t.Fatal("received object differs from the content")
	}
	if st := d.Stats(); st.DuplicatedBytes == 0 || !st.Paths[0].Stalled {
		t.Errorf("stats %+v: want duplicated bytes and path 0 stalled", st)
	}
}

func TestDistributorSendErrorMarksPathDown(t *testing.T) {
	content := randomContent(t, 256<<10)
	size := uint64(len(content))
	d, err := NewDistributor(Config{Size: size})
	if err != nil {
		t.Fatal(err)
	}
	c := newMemClient(size)
	c.d = d
	bad := newBlackHole(0)
	bad.err = errors.New("relay refused")
	if err := d.AddSource(bad); err != nil {
		t.Fatal(err)
	}
	if err := d.AddSource(WriterSource(1, pathWriter{c: c, id: 1}, bytes.NewReader(content))); err != nil {
		t.Fatal(err)
	}
	if err := d.Run(testContext(t)); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if st := d.Stats(); st.Paths[0].Alive {
		t.Error("path whose Send failed is still alive")
	}
	if !bytes.Equal(c.data, content) {
		t.Fatal("received object differs from the content")
	}
}

// failingWriter fails every write.
type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) WriteAt([]byte, int64) (int, error) { return 0, errDiskFull }

func TestDistributorWriterFailureMarksPathDown(t *testing.T) {
	content := randomContent(t, 256<<10)
	size := uint64(len(content))
	d, err := NewDistributor(Config{Size: size})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.AddSource(WriterSource(0, failingWriter{}, bytes.NewReader(content))); err != nil {
		t.Fatal(err)
	}
	err = d.Run(testContext(t))
	if !errors.Is(err, ErrNoSources) {
		t.Fatalf("Run: %v, want ErrNoSources", err)
	}
	if st := d.Stats(); st.Paths[0].Alive {
		t.Error("path whose writer failed is still alive")
	}
}

func TestDistributorAllSourcesDown(t *testing.T) {
	d, err := NewDistributor(Config{Size: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Run(testContext(t)); !errors.Is(err, ErrNoSources) {
		t.Fatalf("Run without sources: %v, want ErrNoSources", err)
	}

	d, err = NewDistributor(Config{Size: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	hole := newBlackHole(3)
	if err := d.AddSource(hole); err != nil {
		t.Fatal(err)
	}
	done := runAsync(testContext(t), d)
	<-hole.sent
	if err := d.PathDown(3); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrNoSources) {
		t.Fatalf("Run after the only path went down: %v, want ErrNoSources", err)
	}
}

func TestDistributorCancel(t *testing.T) {
	d, err := NewDistributor(Config{Size: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	hole := newBlackHole(0)
	if err := d.AddSource(hole); err != nil {
		t.Fatal(err)
	}
	// A WriterSource whose worker must be stopped when Run returns.
	if err := d.AddSource(WriterSource(1, failingWriter{}, bytes.NewReader(nil))); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := runAsync(ctx, d)
	<-hole.sent
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v, want context.Canceled", err)
	}
}

func TestDistributorLifecycleErrors(t *testing.T) {
	d, err := NewDistributor(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.AddSource(newBlackHole(0)); err != nil {
		t.Fatal(err)
	}
	if err := d.AddSource(newBlackHole(0)); !errors.Is(err, ErrDuplicatePath) {
		t.Errorf("AddSource with a used ID: %v, want ErrDuplicatePath", err)
	}
	if err := d.Report(Report{PathID: 5, Delivered: 1}); !errors.Is(err, ErrUnknownPath) {
		t.Errorf("Report for unknown path: %v, want ErrUnknownPath", err)
	}
	if err := d.PathDown(5); !errors.Is(err, ErrUnknownPath) {
		t.Errorf("PathDown for unknown path: %v, want ErrUnknownPath", err)
	}
	if err := d.Run(testContext(t)); err != nil {
		t.Fatalf("Run of an empty object: %v", err)
	}
	if err := d.Run(testContext(t)); !errors.Is(err, ErrAlreadyRun) {
		t.Errorf("second Run: %v, want ErrAlreadyRun", err)
	}
	if err := d.AddSource(newBlackHole(1)); !errors.Is(err, ErrFinished) {
		t.Errorf("AddSource after Run: %v, want ErrFinished", err)
	}
}

func TestWriterSourceSendAfterStop(t *testing.T) {
	s := WriterSource(0, failingWriter{}, bytes.NewReader(nil))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.(worker).work(ctx, func(error) { t.Error("fail called after cancel") })
	if err := s.Send(context.Background(), Range{Start: 0, End: 1}); !errors.Is(err, ErrSourceClosed) {
		t.Fatalf("Send after the worker stopped: %v, want ErrSourceClosed", err)
	}
}

func TestWriterSourceShortContent(t *testing.T) {
	s := WriterSource(0, failingWriter{}, bytes.NewReader(make([]byte, 10)))
	if err := s.Send(context.Background(), Range{Start: 0, End: 20}); err != nil {
		t.Fatal(err)
	}
	var got error
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.(worker).work(ctx, func(err error) { got = err })
	if !errors.Is(got, io.ErrUnexpectedEOF) {
		t.Fatalf("fail got %v, want an unexpected EOF reading content", got)
	}
}

// TestDistributorAsksForCredit: a receiver that widens its limit only when
// told that the limit holds the paths back still gets the whole object, and
// is told once per limit value.
func TestDistributorAsksForCredit(t *testing.T) {
	content := randomContent(t, 4<<20)
	size := uint64(len(content))
	var asked []uint64
	var d *Distributor
	d, err := NewDistributor(Config{Size: size, PieceSize: 256 << 10, OnReceiverLimit: func(limit uint64) {
		asked = append(asked, limit) // Run's goroutine only
		d.SetReceiverLimit(limit + 512<<10)
	}})
	if err != nil {
		t.Fatal(err)
	}
	d.SetReceiverLimit(512 << 10)
	c := newMemClient(size)
	c.d = d
	if err := d.AddSource(WriterSource(0, pathWriter{c: c, id: 0}, bytes.NewReader(content))); err != nil {
		t.Fatal(err)
	}
	if err := d.Run(testContext(t)); err != nil {
		t.Fatalf("Run: %v (asked for credit at %v)", err, asked)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !bytes.Equal(c.data, content) {
		t.Fatal("received object differs from the content")
	}
	if len(asked) == 0 || len(asked) > int(size/(512<<10)) {
		t.Fatalf("asked for credit at %v: want once per 512 KiB limit below %d", asked, size)
	}
	for i, l := range asked {
		if l != uint64(i+1)*512<<10 {
			t.Fatalf("asked for credit at %v: want the limits 512 KiB apart, each once", asked)
		}
	}
}
