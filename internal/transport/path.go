// Package transport owns KWIK's paths: one quic-go connection each, with its
// control channel, its lanes' Sender, its state, liveness and statistics,
// and the QUIC and TLS settings paths use.
package transport

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/control"
	"github.com/kwik-transport/kwik/internal/data"
)

// PathState is where a path is in its life.
type PathState int

// Path states. A path only moves forward, except between Active and Degraded.
const (
	PathPending  PathState = iota // being opened
	PathActive                    // carrying traffic
	PathDegraded                  // alive but missing keep-alives
	PathDead                      // lost: idle timeout, reset or closed by the peer
	PathRemoved                   // closed on purpose with RemovePath
	PathFailed                    // could not be opened
)

var pathStateNames = [...]string{"pending", "active", "degraded", "dead", "removed", "failed"}

func (s PathState) String() string {
	if s >= 0 && int(s) < len(pathStateNames) {
		return pathStateNames[s]
	}
	return fmt.Sprintf("PathState(%d)", int(s))
}

// Terminal reports whether the path can no longer carry traffic.
func (s PathState) Terminal() bool { return s >= PathDead }

// PathInfo is a snapshot of one path, as the server application sees it.
type PathInfo struct {
	ID         uint64
	Address    string // the server's address as given to Dial or AddPath
	Primary    bool
	State      PathState
	Err        error // why the path failed or died, if it did
	Created    time.Time
	LastActive time.Time
	Stats      PathStats
}

// PathStats counts the logical-stream payload bytes a path carried.
type PathStats struct {
	BytesSent     uint64
	BytesReceived uint64
	SmoothedRTT   time.Duration
	// Goodput is, on a primary server's session, the bytes per second the
	// client reported receiving through the path over the last second; 0
	// elsewhere.
	Goodput float64
}

// Path is one quic-go connection of a KWIK session: the connection, its
// control channel, the Sender of its lanes, its state and liveness.
type Path struct {
	id      uint64
	addr    string
	primary bool
	conn    *quic.Conn
	ctrl    *control.Channel
	sender  *data.Sender
	created time.Time

	lastActive atomic.Int64 // unix nanoseconds
	sent       atomic.Uint64
	received   atomic.Uint64

	mu    sync.Mutex
	state PathState
	err   error
	live  liveness
}

// NewPath wraps an established connection and its control channel; its
// Sender opens up to lanes lanes. A path this side only keeps a record of
// (a primary's view of the client's path to a secondary) has neither: conn
// and ctrl are nil and lanes 0.
func NewPath(id uint64, addr string, primary bool, conn *quic.Conn, ctrl *control.Channel, lanes int) *Path {
	now := time.Now()
	p := &Path{id: id, addr: addr, primary: primary, conn: conn, ctrl: ctrl, created: now, state: PathActive}
	p.live.lastPong = now
	p.lastActive.Store(now.UnixNano())
	if lanes > 0 {
		p.sender = data.NewSender(conn, lanes, p.CountSent)
	}
	return p
}

// ID is the path's identifier within its session; the primary path is 0.
func (p *Path) ID() uint64 { return p.id }

// Primary reports whether this is the path to the primary server.
func (p *Path) Primary() bool { return p.primary }

// Conn is the path's QUIC connection.
func (p *Path) Conn() *quic.Conn { return p.conn }

// Control is the path's control channel.
func (p *Path) Control() *control.Channel { return p.ctrl }

// Sender writes the path's STREAM frames on its lanes.
func (p *Path) Sender() *data.Sender { return p.sender }

// LocalAddr and RemoteAddr are the connection's addresses.
func (p *Path) LocalAddr() net.Addr  { return p.conn.LocalAddr() }
func (p *Path) RemoteAddr() net.Addr { return p.conn.RemoteAddr() }

// Touch records activity on the path.
func (p *Path) Touch() { p.lastActive.Store(time.Now().UnixNano()) }

// CountSent and CountReceived add payload bytes to the path's statistics.
func (p *Path) CountSent(n int) { p.sent.Add(uint64(n)) }
func (p *Path) CountReceived(n int) {
	p.received.Add(uint64(n))
	p.Touch()
}

// State returns the path's state and, for a dead or failed path, why.
func (p *Path) State() (PathState, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state, p.err
}

// SetState moves the path to s. A terminal state is final: later calls are
// ignored and SetState reports false.
func (p *Path) SetState(s PathState, err error) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state.Terminal() || p.state == s {
		return false
	}
	p.state, p.err = s, err
	return true
}

// Info returns a snapshot of the path.
func (p *Path) Info() PathInfo {
	state, err := p.State()
	info := PathInfo{
		ID:         p.id,
		Address:    p.addr,
		Primary:    p.primary,
		State:      state,
		Err:        err,
		Created:    p.created,
		LastActive: time.Unix(0, p.lastActive.Load()),
		Stats: PathStats{
			BytesSent:     p.sent.Load(),
			BytesReceived: p.received.Load(),
		},
	}
	if p.conn != nil {
		info.Stats.SmoothedRTT = p.conn.ConnectionStats().SmoothedRTT
	}
	return info
}
