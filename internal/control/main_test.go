package control

import (
	"bufio"
	"net"
	"testing"

	"github.com/kwik-transport/kwik/internal/leaktest"

	"github.com/kwik-transport/kwik/internal/wire"
)

func TestMain(m *testing.M) {
	leaktest.VerifyTestMain(m)
}

// pipe returns the two ends of an in-memory stream with deadlines; a
// net.Conn has every method a Channel needs.
func pipe(t *testing.T) (local, peer net.Conn) {
	t.Helper()
	local, peer = net.Pipe()
	t.Cleanup(func() {
		local.Close()
		peer.Close()
	})
	return local, peer
}

// encode returns the bytes of frames, failing the test on an encoding error.
func encode(t *testing.T, frames ...wire.Frame) []byte {
	t.Helper()
	var b []byte
	for _, f := range frames {
		var err error
		if b, err = f.Append(b); err != nil {
			t.Fatalf("encoding %v: %v", f.Type(), err)
		}
	}
	return b
}

// frameReader reads control frames from the peer end of a pipe.
type frameReader struct{ br *bufio.Reader }

func newFrameReader(c net.Conn) *frameReader { return &frameReader{br: bufio.NewReader(c)} }

func (r *frameReader) next(t *testing.T) wire.Frame {
	t.Helper()
	f, err := wire.ReadControlFrame(r.br)
	if err != nil {
		t.Fatalf("peer reading a frame: %v", err)
	}
	return f
}
