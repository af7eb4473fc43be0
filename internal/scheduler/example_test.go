package scheduler_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/kwik-transport/kwik/internal/scheduler"
)

// client stands in for the receiving client: paths write into one buffer,
// and the client reports to the distributor, per path, the bytes it received.
type client struct {
	mu        sync.Mutex
	buf       []byte
	delivered map[uint64]uint64
	report    func(scheduler.Report)
}

// stream is what one path writes into: the client's stream, at offsets.
type stream struct {
	c    *client
	path uint64
}

func (s stream) WriteAt(p []byte, off int64) (int, error) {
	s.c.mu.Lock()
	copy(s.c.buf[off:], p)
	s.c.delivered[s.path] += uint64(len(p))
	r := scheduler.Report{PathID: s.path, Delivered: s.c.delivered[s.path]}
	s.c.mu.Unlock()
	s.c.report(r)
	return len(p), nil
}

// mirror is a secondary server: the primary asks it for ranges with small
// messages, and it writes them into the client's stream itself.
type mirror struct {
	path     uint64
	requests chan scheduler.Range
}

// PathID implements scheduler.Source.
func (m *mirror) PathID() uint64 { return m.path }

// Send implements scheduler.Source: it only posts the request.
func (m *mirror) Send(ctx context.Context, r scheduler.Range) error {
	select {
	case m.requests <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// serve is the mirror's own loop, writing what it is asked for.
func (m *mirror) serve(ctx context.Context, content []byte, out stream) {
	for {
		select {
		case r := <-m.requests:
			out.WriteAt(content[r.Start:r.End], int64(r.Start))
		case <-ctx.Done():
			return
		}
	}
}

// Example delivers a 4 MiB object through the primary's own stream and a
// mirror at once.
func Example() {
	content := bytes.Repeat([]byte("kwik"), 1<<20)
	d, err := scheduler.NewDistributor(scheduler.Config{Size: uint64(len(content))})
	if err != nil {
		fmt.Println(err)
		return
	}
	c := &client{
		buf:       make([]byte, len(content)),
		delivered: make(map[uint64]uint64),
		// In KWIK these arrive as DELIVERY_REPORT frames every 25 ms.
		// Reports only fail for unknown paths, which cannot happen here.
		report: func(r scheduler.Report) { _ = d.Report(r) },
	}

	// Path 0: the primary writes its ranges itself.
	if err := d.AddSource(scheduler.WriterSource(0, stream{c, 0}, bytes.NewReader(content))); err != nil {
		fmt.Println(err)
		return
	}

	// Path 1: a mirror, asked over a relayed message.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m := &mirror{path: 1, requests: make(chan scheduler.Range, 64)}
	mirrorCtx, stopMirror := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { m.serve(mirrorCtx, content, stream{c, 1}) })
	if err := d.AddSource(m); err != nil {
		fmt.Println(err)
	}

	err = d.Run(ctx)
	stopMirror()
	wg.Wait()

	st := d.Stats()
	fmt.Println("run:", err)
	fmt.Println("intact:", bytes.Equal(c.buf, content))
	fmt.Println("complete:", st.CompleteBytes == st.Size, "paths:", len(st.Paths))
	// Output:
	// run: <nil>
	// intact: true
	// complete: true paths: 2
}
