package integrationtests

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/qlogwriter"

	"github.com/kwik-transport/kwik"
)

// tracerCalls records the connections a Config.Tracer was asked to trace.
type tracerCalls struct {
	mu    sync.Mutex
	conns map[string]bool // connection ID → isClient
}

func (c *tracerCalls) tracer(_ context.Context, isClient bool, id quic.ConnectionID) qlogwriter.Trace {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conns[id.String()] = isClient
	return nil // quic-go traces nothing for a nil Trace
}

func (c *tracerCalls) count(client bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, isClient := range c.conns {
		if isClient == client {
			n++
		}
	}
	return n
}

// TestTracerPerPath: the client's Tracer is asked for one trace per path
// (the primary's and the secondary's), each with its own connection ID, and
// a server's for the path it accepts.
func TestTracerPerPath(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	var client, server tracerCalls
	client.conns, server.conns = map[string]bool{}, map[string]bool{}
	primary := listen(t, &kwik.Config{ServerGroupKey: groupKey, MaxIdleTimeout: healthyIdle, Tracer: server.tracer})
	secondary := listen(t, &kwik.Config{ServerGroupKey: groupKey, MaxIdleTimeout: healthyIdle})
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		if s, err := secondary.Accept(ctx); err == nil {
			<-s.Context().Done()
			s.CloseWithError(0, "")
		}
	})
	accepted := make(chan *kwik.Session, 1)
	go func() {
		s, _ := primary.Accept(ctx)
		accepted <- s
	}()
	sess, err := kwik.Dial(ctx, primary.Addr().String(), testTLS.Client, &kwik.Config{MaxIdleTimeout: healthyIdle, Tracer: client.tracer})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.CloseWithError(0, "")
	srv := <-accepted
	if srv == nil {
		t.Fatal("the primary accepted no session")
	}
	defer srv.CloseWithError(0, "")
	if _, err := srv.AddPath(ctx, secondary.Addr().String(), kwik.PublicKeyPin(testTLS.Cert.Leaf)); err != nil {
		t.Fatal(err)
	}
	if n := client.count(true); n != 2 {
		t.Errorf("the client's Tracer was asked for %d client connections; want 2, one per path", n)
	}
	if n := server.count(false); n != 1 {
		t.Errorf("the primary's Tracer was asked for %d server connections; want 1", n)
	}
}
