package emulator

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"time"
)

// flow is one client address and the upstream socket that speaks for it to
// the target, like a NAT mapping.
type flow struct {
	client     netip.AddrPort
	upstream   *net.UDPConn
	lastActive atomic.Int64 // the link's clock, in ns, at the last packet either way
}

func (f *flow) touch(now time.Duration) { f.lastActive.Store(int64(now)) }

// readUpstream relays the target's replies to f's client until f's socket is
// closed, either by Link.Close or because the flow stayed idle for
// l.idleTimeout.
func (l *Link) readUpstream(f *flow) {
	defer l.wg.Done()
	buf := make([]byte, maxDatagram)
	_ = f.upstream.SetReadDeadline(time.Now().Add(l.idleTimeout))
	for {
		n, err := f.upstream.Read(buf)
		if err != nil {
			switch {
			case errors.Is(err, net.ErrClosed):
				return
			case errors.Is(err, os.ErrDeadlineExceeded):
				idle := l.now() - time.Duration(f.lastActive.Load())
				if idle >= l.idleTimeout {
					l.removeFlow(f)
					return
				}
				_ = f.upstream.SetReadDeadline(time.Now().Add(l.idleTimeout - idle))
			default:
				// Typically an ICMP "port unreachable" for an earlier packet:
				// the target may not be listening yet. Keep relaying.
				l.log.Debug("emulator: upstream read failed", "client", f.client, "err", err)
			}
			continue
		}
		now := l.now()
		f.touch(now)
		l.down.enqueue(newPacket(buf[:n], f), now)
	}
}
