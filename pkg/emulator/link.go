package emulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// defaultMaxFlows bounds the sockets and goroutines a link opens for
	// client addresses.
	defaultMaxFlows = 1024
	// defaultIdleTimeout closes an upstream socket whose client has been
	// silent in both directions this long, as a NAT would.
	defaultIdleTimeout = time.Minute
	// socketBuffer is asked of the kernel for every socket, so that bursts
	// at high rates are not dropped before the link sees them.
	socketBuffer = 4 << 20
)

// Link is a UDP relay that emulates a network path between its clients and
// one target. Create it with Listen; stop it with Close.
//
// Like a NAT, a link relays for at most 1024 client addresses at once and
// forgets one that has been silent both ways for a minute; its next packet
// reaches the target from a new port. Each direction holds at most 64 MiB of
// packets in its queue and delay line together.
type Link struct {
	conn   *net.UDPConn // clients send here and receive replies from here
	target *net.UDPAddr
	log    *slog.Logger
	start  time.Time
	killed atomic.Bool
	up     *direction // client → target
	down   *direction // target → client

	maxFlows    int
	idleTimeout time.Duration

	done      chan struct{} // closed by Close: stops the release goroutines
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error

	mu      sync.Mutex // guards the fields below
	cfg     LinkConfig
	flows   map[netip.AddrPort]*flow
	refused uint64
	closed  bool
}

// Listen starts a link that accepts datagrams on listenAddr (such as
// "127.0.0.1:0") and relays them to target, shaped by cfg. Clients use
// Link.Addr as the address of the target. The context bounds the resolution
// of the addresses only, as with net.ListenConfig: once Listen returns, the
// link runs until Close.
func Listen(ctx context.Context, listenAddr, target string, cfg LinkConfig) (*Link, error) {
	return listen(ctx, listenAddr, target, cfg, limits{maxFlows: defaultMaxFlows, idleTimeout: defaultIdleTimeout})
}

// limits bounds the flows of a link; tests shrink them.
type limits struct {
	maxFlows    int
	idleTimeout time.Duration
}

func listen(ctx context.Context, listenAddr, target string, cfg LinkConfig, lim limits) (*Link, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	targetAddr, err := resolveUDP(ctx, target)
	if err != nil {
		return nil, fmt.Errorf("emulator: resolve target %q: %w", target, err)
	}
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp", listenAddr)
	if err != nil {
		return nil, fmt.Errorf("emulator: listen on %q: %w", listenAddr, err)
	}
	l := &Link{
		conn:        pc.(*net.UDPConn),
		target:      net.UDPAddrFromAddrPort(targetAddr),
		log:         cfg.Logger,
		start:       time.Now(),
		maxFlows:    lim.maxFlows,
		idleTimeout: lim.idleTimeout,
		done:        make(chan struct{}),
		cfg:         cfg.clone(),
		flows:       make(map[netip.AddrPort]*flow),
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	setBuffers(l.conn, l.log)
	seed := uint64(cfg.Seed)
	if seed == 0 {
		seed = rand.Uint64()
	}
	upParams, downParams := cfg.params()
	l.up = newDirection("up", newShaper(upParams, seed, 0), l.now, l.writeUp, &l.killed, l.log)
	l.down = newDirection("down", newShaper(downParams, seed, 1), l.now, l.writeDown, &l.killed, l.log)
	l.wg.Add(3)
	go func() { defer l.wg.Done(); l.up.run(l.done) }()
	go func() { defer l.wg.Done(); l.down.run(l.done) }()
	go l.readClients()
	return l, nil
}

// params resolves the shaping of both directions.
func (c LinkConfig) params() (up, down params) {
	upShape, downShape := c.shapes()
	rtt := upShape.Delay + downShape.Delay
	return upShape.params(rtt), downShape.params(rtt)
}

// resolveUDP resolves a "host:port" address, honouring ctx.
func resolveUDP(ctx context.Context, address string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(address); err == nil {
		return ap, nil
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return netip.AddrPort{}, err
	}
	portNum, err := net.DefaultResolver.LookupPort(ctx, "udp", port)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if host == "" {
		host = "localhost"
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.AddrPort{}, err
	}
	// Prefer IPv4, as most tools do: "localhost" then means 127.0.0.1, where
	// test servers listen.
	ip := ips[0].Unmap()
	for _, candidate := range ips {
		if candidate.Unmap().Is4() {
			ip = candidate.Unmap()
			break
		}
	}
	return netip.AddrPortFrom(ip, uint16(portNum)), nil
}

// setBuffers asks for large socket buffers; the kernel may grant less, which
// only makes drops under bursts more likely.
func setBuffers(c *net.UDPConn, log *slog.Logger) {
	if err := c.SetReadBuffer(socketBuffer); err != nil {
		log.Debug("emulator: cannot enlarge socket receive buffer", "err", err)
	}
	if err := c.SetWriteBuffer(socketBuffer); err != nil {
		log.Debug("emulator: cannot enlarge socket send buffer", "err", err)
	}
}

// now is the link's clock: monotonic time since Listen.
func (l *Link) now() time.Duration { return time.Since(l.start) }

// Addr returns the address clients send to.
func (l *Link) Addr() net.Addr { return l.conn.LocalAddr() }

// Config returns the configuration the link currently applies.
func (l *Link) Config() LinkConfig {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cfg.clone()
}

// SetConfig changes the rate, delay, loss, queue and burst of a running link.
// Packets that arrive from now on get the new shaping; packets already inside
// the link keep the schedule they got on arrival, and packet order is kept.
// cfg.Seed and cfg.Logger are ignored. It returns a *ConfigError for an
// invalid cfg and ErrClosed after Close.
func (l *Link) SetConfig(cfg LinkConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	cfg.Seed, cfg.Logger = l.cfg.Seed, l.cfg.Logger
	l.cfg = cfg.clone()
	upParams, downParams := cfg.params()
	l.up.setParams(upParams)
	l.down.setParams(downParams)
	return nil
}

// Kill black-holes the link in both directions, as if its cable were cut:
// the packets inside it are dropped at once, and every packet that arrives
// is dropped until Revive. A QUIC connection through a killed link ends with
// an idle timeout.
func (l *Link) Kill() {
	l.killed.Store(true)
	l.up.killDrops.Add(uint64(l.up.drain()))
	l.down.killDrops.Add(uint64(l.down.drain()))
}

// Revive undoes Kill: packets that arrive from now on are relayed again.
func (l *Link) Revive() { l.killed.Store(false) }

// Stats returns what the link has done so far. It works after Close too.
func (l *Link) Stats() Stats {
	l.mu.Lock()
	flows, refused := len(l.flows), l.refused
	l.mu.Unlock()
	return Stats{Up: l.up.snapshot(), Down: l.down.snapshot(), Flows: flows, RefusedPackets: refused}
}

// Close stops the link: it closes every socket, stops every goroutine the
// link started and waits for them. Packets inside the link are discarded.
// Later calls return the first call's result.
func (l *Link) Close() error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		flows := l.flows
		l.flows = make(map[netip.AddrPort]*flow)
		l.mu.Unlock()

		close(l.done)
		l.closeErr = l.conn.Close()
		for _, f := range flows {
			_ = f.upstream.Close()
		}
		l.wg.Wait()
		// The readers may have queued packets after the release goroutines
		// stopped; give their buffers back.
		l.up.drain()
		l.down.drain()
	})
	return l.closeErr
}

// readClients relays datagrams from clients to the target until the
// listening socket is closed.
func (l *Link) readClients() {
	defer l.wg.Done()
	buf := make([]byte, maxDatagram)
	for {
		n, from, err := l.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			l.log.Debug("emulator: read from clients failed", "err", err)
			continue
		}
		f := l.flowFor(from)
		if f == nil {
			continue
		}
		now := l.now()
		f.touch(now)
		l.up.enqueue(newPacket(buf[:n], f), now)
	}
}

// flowFor returns the flow of a client address, opening it on the first
// packet. It returns nil when the packet must be refused.
func (l *Link) flowFor(client netip.AddrPort) *flow {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f := l.flows[client]; f != nil {
		return f
	}
	if l.closed {
		return nil
	}
	if len(l.flows) >= l.maxFlows {
		l.refused++
		return nil
	}
	upstream, err := net.DialUDP("udp", nil, l.target)
	if err != nil {
		l.refused++
		l.log.Debug("emulator: cannot open upstream socket", "client", client, "target", l.target, "err", err)
		return nil
	}
	setBuffers(upstream, l.log)
	f := &flow{client: client, upstream: upstream}
	f.touch(l.now())
	l.flows[client] = f
	l.log.Debug("emulator: flow opened", "client", client, "upstream", upstream.LocalAddr())
	l.wg.Add(1)
	go l.readUpstream(f)
	return f
}

// removeFlow closes an idle flow. Packets of it still inside the link fail
// to send and count as send errors; a new packet from its client opens a new
// flow, with a new upstream port, as a NAT whose mapping expired would.
func (l *Link) removeFlow(f *flow) {
	l.mu.Lock()
	if l.flows[f.client] == f {
		delete(l.flows, f.client)
	}
	l.mu.Unlock()
	_ = f.upstream.Close()
	l.log.Debug("emulator: flow closed after idle timeout", "client", f.client)
}

func (l *Link) writeUp(p *packet) error {
	_, err := p.flow.upstream.Write(p.buf)
	return err
}

func (l *Link) writeDown(p *packet) error {
	_, err := l.conn.WriteToUDPAddrPort(p.buf, p.flow.client)
	return err
}
