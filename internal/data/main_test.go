package data

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/kwik-transport/kwik/internal/leaktest"
	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/certs"
	"github.com/kwik-transport/kwik/internal/wire"
)

func TestMain(m *testing.M) {
	leaktest.VerifyTestMain(m)
}

var testCerts = func() certs.Pair {
	p, err := certs.NewPair()
	if err != nil {
		panic(err)
	}
	return p
}()

// quicServer is a loopback quic-go listener that hands out connection pairs.
type quicServer struct{ ln *quic.Listener }

func newQUICServer(tb testing.TB) *quicServer {
	tb.Helper()
	conf := testCerts.Server.Clone()
	conf.NextProtos = []string{"kwik/1"}
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	// A Transport of our own: its Close waits for its read loop, which a
	// listener from quic.ListenAddr leaves to stop after the test (goleak
	// then sees it on a loaded machine).
	tr := &quic.Transport{Conn: udp}
	ln, err := tr.Listen(conf, &quic.Config{MaxIncomingUniStreams: 16})
	if err != nil {
		udp.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ln.Close()
		tr.Close()
		udp.Close()
	})
	return &quicServer{ln: ln}
}

// pair dials the listener and returns the dialling and accepted ends; both
// are closed when the test ends.
func (s *quicServer) pair(tb testing.TB) (dialer, acceptor *quic.Conn) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conf := testCerts.Client.Clone()
	conf.NextProtos = []string{"kwik/1"}
	dialer, err := quic.DialAddr(ctx, s.ln.Addr().String(), conf, nil)
	if err != nil {
		tb.Fatal(err)
	}
	acceptor, err = s.ln.Accept(ctx)
	if err != nil {
		dialer.CloseWithError(0, "")
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		dialer.CloseWithError(0, "")
		acceptor.CloseWithError(0, "")
		<-dialer.Context().Done()
		<-acceptor.Context().Done()
	})
	return dialer, acceptor
}

// quicPair is a fresh listener and one connection pair.
func quicPair(tb testing.TB) (dialer, acceptor *quic.Conn) {
	return newQUICServer(tb).pair(tb)
}

// delivered is one frame a recordingHandler got.
type delivered struct {
	hdr     wire.StreamHeader
	payload string
}

// recordingHandler admits what admit says and records deliveries.
type recordingHandler struct {
	admit func(wire.StreamHeader) error // nil: admit everything

	mu        sync.Mutex
	frames    []delivered
	buffers   int                           // Buffer calls
	largest   int                           // largest Buffer asked for
	returned  int                           // PutBuffer calls
	arrived   chan struct{}                 // signalled, without blocking, when frames grows
	deliverTo func(wire.StreamHeader) error // nil: accept
}

func newRecordingHandler() *recordingHandler {
	return &recordingHandler{arrived: make(chan struct{}, 1)}
}

func (h *recordingHandler) Admit(hdr wire.StreamHeader) error {
	if h.admit != nil {
		return h.admit(hdr)
	}
	return nil
}

func (h *recordingHandler) Buffer(n int) []byte {
	h.mu.Lock()
	h.buffers++
	h.largest = max(h.largest, n)
	h.mu.Unlock()
	return make([]byte, n)
}

func (h *recordingHandler) PutBuffer([]byte) {
	h.mu.Lock()
	h.returned++
	h.mu.Unlock()
}

func (h *recordingHandler) Deliver(hdr wire.StreamHeader, payload []byte) error {
	if h.deliverTo != nil {
		if err := h.deliverTo(hdr); err != nil {
			return err
		}
	}
	h.mu.Lock()
	h.frames = append(h.frames, delivered{hdr, string(payload)})
	h.mu.Unlock()
	select {
	case h.arrived <- struct{}{}:
	default: // a signal is already pending
	}
	return nil
}

// waitFrames waits until n frames in all were delivered and returns them.
func (h *recordingHandler) waitFrames(tb testing.TB, n int) []delivered {
	tb.Helper()
	timeout := time.After(10 * time.Second)
	for {
		h.mu.Lock()
		got := append([]delivered(nil), h.frames...)
		h.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-h.arrived:
		case <-timeout:
			tb.Fatalf("%d frames delivered, want %d", len(got), n)
		}
	}
}
