package integrationtests

import (
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/nettest"
)

// conn is a stream as a net.Conn, the way an application moving from TCP
// wraps one; the same wrapper serves KWIK and quic-go. A stream's Close
// ends only the write side, while net.Conn's Close ends both: Close also
// makes the wrapper's reads fail with net.ErrClosed, waking a blocked one
// with a deadline in the past. It does not CancelRead, which would make the
// peer's own Close fail (the peer's write side would be reset).
type conn struct {
	stream
	local, remote net.Addr

	mu     sync.Mutex
	closed bool
}

func (c *conn) LocalAddr() net.Addr  { return c.local }
func (c *conn) RemoteAddr() net.Addr { return c.remote }

func (c *conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

func (c *conn) Read(p []byte) (int, error) {
	if c.isClosed() {
		return 0, net.ErrClosed
	}
	n, err := c.stream.Read(p)
	if err != nil && c.isClosed() {
		return n, net.ErrClosed
	}
	return n, err
}

func (c *conn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.stream.SetReadDeadline(time.Unix(1, 0)) // wake a blocked Read
	c.mu.Unlock()
	return c.stream.Close()
}

// SetDeadline and SetReadDeadline do not re-arm reads after Close.
func (c *conn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.stream.SetWriteDeadline(t)
}

func (c *conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	return c.stream.SetReadDeadline(t)
}

// makePipe is nettest's MakePipe over one stream of im.
func makePipe(im impl) nettest.MakePipe {
	return func() (c1, c2 net.Conn, stop func(), err error) {
		p, err := im.open()
		if err != nil {
			return nil, nil, nil, err
		}
		c1 = &conn{stream: p.client, local: p.local, remote: p.remote}
		c2 = &conn{stream: p.server, local: p.remote, remote: p.local}
		return c1, c2, p.stop, nil
	}
}

// TestConn runs nettest.TestConn over KWIK streams and, as the control,
// over quic-go streams with the same wrapper. Every subtest passes on both.
func TestConn(t *testing.T) {
	for _, im := range impls {
		t.Run(im.name, func(t *testing.T) {
			nettest.TestConn(t, makePipe(im))
		})
	}
}
