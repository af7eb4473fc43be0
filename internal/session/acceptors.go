package session

import (
	"context"
	"sync"

	"github.com/quic-go/quic-go"
)

// quicAcceptQueue is quic-go's queue of connections whose handshake
// completed and that wait for Accept (protocol.MaxAcceptQueueSize). quic-go
// refuses a connection that finds it full, with CONNECTION_REFUSED.
const quicAcceptQueue = 32

// acceptors are the goroutines that wait in quic-go's Accept, as many as
// connections are admitted and not yet accepted, at least one.
//
// A burst of handshakes that complete together fills quic-go's queue before
// a single acceptor is scheduled again (40 of 100 clients dialling at once
// were refused), but a connection handed to a waiting acceptor never enters
// the queue. An acceptor is therefore started when a connection is
// admitted, at its first packet, a round trip and a TLS handshake before it
// can reach the queue; and one retires when the connection it stood for is
// accepted or ends. An idle listener holds one, rather than one per
// handshake it might have to take at once (224 with the defaults, about
// 1.8 MiB of stacks per listener).
type acceptors struct {
	accept acceptFunc       // set by start, under mu
	serve  func(*quic.Conn) // takes an accepted connection, in its own goroutine
	ctx    context.Context  // ends with the listener
	wg     *sync.WaitGroup  // the listener's: Close waits for the acceptors
	most   int              // acceptors at most

	mu      sync.Mutex
	pending map[*admitted]struct{}           // admitted, neither accepted nor ended
	waiting map[*acceptor]context.CancelFunc // started and not retired
	closed  bool
}

// acceptFunc is quic-go's Accept, with the admission record of the
// connection it returns.
type acceptFunc func(context.Context) (*quic.Conn, *admitted, error)

// quicAccept is ql's Accept as an acceptFunc.
func quicAccept(ql *quic.Listener) acceptFunc {
	return func(ctx context.Context) (*quic.Conn, *admitted, error) {
		conn, err := ql.Accept(ctx)
		if err != nil {
			return nil, nil, err
		}
		return conn, admittedOf(conn.Context()), nil
	}
}

// acceptor is one goroutine of acceptors; its identity is its key.
type acceptor struct{ _ byte }

func newAcceptors(ctx context.Context, wg *sync.WaitGroup, most int, serve func(*quic.Conn)) *acceptors {
	return &acceptors{
		serve:   serve,
		ctx:     ctx,
		wg:      wg,
		most:    max(1, most),
		pending: make(map[*admitted]struct{}),
		waiting: make(map[*acceptor]context.CancelFunc),
	}
}

// start starts the acceptors on accept, once quic-go listens: connections
// may be admitted from then on, before start is called.
func (p *acceptors) start(accept acceptFunc) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.accept = accept
	for len(p.waiting) < p.wantLocked() && !p.closed {
		p.startLocked()
	}
}

// count is how many acceptors are running.
func (p *acceptors) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.waiting)
}

// wantLocked is how many acceptors there should be.
func (p *acceptors) wantLocked() int { return min(p.most, max(1, len(p.pending))) }

// startLocked starts one acceptor, unless the listener is not listening
// yet or is closing.
func (p *acceptors) startLocked() {
	if p.accept == nil || p.closed {
		return
	}
	a := &acceptor{}
	ctx, cancel := context.WithCancel(p.ctx)
	p.waiting[a] = cancel
	p.wg.Add(1)
	go p.run(a, p.accept, ctx)
}

// admitted counts a connection admitted at its first packet, until an
// acceptor takes it or it ends (ctx, quic-go's context of the connection).
func (p *acceptors) admitted(t *admitted, ctx context.Context) {
	p.mu.Lock()
	p.pending[t] = struct{}{}
	if len(p.waiting) < p.wantLocked() {
		p.startLocked()
	}
	p.mu.Unlock()
	context.AfterFunc(ctx, func() { p.settled(t) })
}

// settled counts t out of the pending connections (accepted, or ended
// before), and retires an acceptor no longer needed.
func (p *acceptors) settled(t *admitted) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.pending[t]; !ok {
		return
	}
	delete(p.pending, t)
	if len(p.waiting) <= p.wantLocked() {
		return
	}
	for a := range p.waiting {
		p.retireLocked(a)
		return
	}
}

// retireLocked counts acceptor a out and ends its wait in quic-go's
// Accept; a retired acceptor is no longer in waiting.
func (p *acceptors) retireLocked(a *acceptor) {
	if cancel, ok := p.waiting[a]; ok {
		delete(p.waiting, a)
		cancel()
	}
}

// stay says whether acceptor a goes on waiting: it was not retired and is
// still needed. One that leaves is counted out here.
func (p *acceptors) stay(a *acceptor) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.waiting[a]; !ok {
		return false
	}
	if len(p.waiting) > p.wantLocked() || p.closed {
		p.retireLocked(a)
		return false
	}
	return true
}

// close stops starting acceptors; those running end with the listener's
// context.
func (p *acceptors) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
}

func (p *acceptors) run(a *acceptor, accept acceptFunc, ctx context.Context) {
	defer p.wg.Done()
	for {
		conn, t, err := accept(ctx)
		if err != nil {
			p.mu.Lock()
			p.retireLocked(a)
			p.mu.Unlock()
			return
		}
		if t != nil {
			p.settled(t)
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serve(conn)
		}()
		if !p.stay(a) {
			return
		}
	}
}
