package fileserve

import (
	"bytes"
	"io"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConcurrentClientsProgressTogether: clients that ask a primary (with a
// secondary) for the same object at once are served side by side: when
// the first has its whole object, every other has at least a quarter of
// its own. A server that served its sessions one after the other, or let
// one wait behind the others' transfers, leaves the rest near nothing.
// (BenchmarkClients measures the same with 100 clients: slowest/median
// 1.02–1.03.)
func TestConcurrentClientsProgressTogether(t *testing.T) {
	ctx := testContext(t)
	c := newCluster(t, ctx)
	go func() { // the cluster reports each transfer on a short channel
		for {
			select {
			case <-c.transfers:
			case <-ctx.Done():
				return
			}
		}
	}()
	const clients = 8
	size := int64(len(c.content))
	var read [clients]atomic.Int64
	var first sync.Once
	var atFirst [clients]int64 // what each had read when the first finished
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		sess := c.dial(t, ctx, c.primary.Addr().String())
		wg.Go(func() {
			<-start
			dl, err := Get(ctx, sess, "object.bin")
			if err != nil {
				errs <- err
				return
			}
			defer dl.Close()
			var got bytes.Buffer
			buf := make([]byte, 32<<10)
			for {
				n, err := dl.Read(buf)
				got.Write(buf[:n])
				read[i].Add(int64(n))
				if err == io.EOF {
					break
				}
				if err != nil {
					errs <- err
					return
				}
			}
			if !bytes.Equal(got.Bytes(), c.content) {
				t.Errorf("client %d received %d bytes that differ from the file's %d", i, got.Len(), size)
			}
			first.Do(func() {
				for j := range read {
					atFirst[j] = read[j].Load()
				}
			})
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i, n := range atFirst {
		if n < size/4 {
			t.Errorf("when the first client had its %d bytes, client %d had %d: %v", size, i, n, atFirst)
			break
		}
	}
}
