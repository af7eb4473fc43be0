// Package control is KWIK's control plane: the control stream of each path
// (handshake, then every frame that is not stream data), path tokens and the
// authentication of relayed raw data.
package control

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kwik-transport/kwik/internal/gate"
	"github.com/kwik-transport/kwik/internal/wire"
)

// DefaultMaxQueued bounds the encoded frames waiting to be written on one
// control stream. Control traffic is small; a queue this long means the peer
// stopped reading, and the session is better off failing than growing.
const DefaultMaxQueued = 16 << 20

// ErrQueueFull is returned by Send when the peer is not draining the control
// stream.
var ErrQueueFull = errors.New("kwik/control: control stream send queue is full (peer not reading)")

// DefaultFrameTimeout is how long Run waits for the rest of a control frame
// once its first byte has arrived, unless SetFrameTimeout says otherwise.
const DefaultFrameTimeout = 10 * time.Second

// ErrFrameTimeout is wrapped by Run's error when the peer began a control
// frame and did not finish it within the frame timeout: a peer may be quiet
// between frames (liveness checks deal with that), but not hold a partial
// frame, and the memory it took, open.
var ErrFrameTimeout = errors.New("kwik/control: the peer left a control frame incomplete")

// readBufferSize is the read buffer of a control stream. Control frames are
// small; bodies that do not fit are read into memory as they arrive.
const readBufferSize = 4 << 10

// Stream is what a Channel needs of a QUIC stream (a *quic.Stream).
type Stream interface {
	io.ReadWriteCloser
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

// Channel is the control stream of one path. Send never blocks: frames are
// queued and written by the goroutine that Run starts.
type Channel struct {
	str          Stream
	br           *bufio.Reader
	maxQueued    int
	frameTimeout time.Duration

	// gate guards what follows; its condition: frames are queued.
	gate  gate.Gate
	queue []byte // encoded frames not yet handed to the stream
	spare []byte // the writer's previous buffer, reused
	err   error  // set once the channel is closed or broken
}

// NewChannel wraps str; maxQueued ≤ 0 means DefaultMaxQueued.
func NewChannel(str Stream, maxQueued int) *Channel {
	if maxQueued <= 0 {
		maxQueued = DefaultMaxQueued
	}
	return &Channel{
		str:          str,
		br:           bufio.NewReaderSize(str, readBufferSize),
		maxQueued:    maxQueued,
		frameTimeout: DefaultFrameTimeout,
		gate:         gate.New(),
	}
}

// SetFrameTimeout sets how long Run waits for the rest of a control frame
// once its first byte arrived (d > 0); call it before Run.
func (c *Channel) SetFrameTimeout(d time.Duration) {
	if d > 0 {
		c.frameTimeout = d
	}
}

// Send queues f for the peer.
func (c *Channel) Send(f wire.Frame) error {
	c.gate.Lock()
	defer c.gate.UnlockFunc(c.queued)
	if c.err != nil {
		return c.err
	}
	if len(c.queue) > c.maxQueued {
		return ErrQueueFull
	}
	var err error
	n := len(c.queue)
	c.queue, err = f.Append(c.queue)
	if err != nil {
		c.queue = c.queue[:n]
		return fmt.Errorf("kwik/control: encoding %v: %w", f.Type(), err)
	}
	return nil
}

// queued is the gate's condition; the gate is held.
func (c *Channel) queued() bool { return len(c.queue) > 0 }

// WriteFrame writes f at once, bypassing the queue; it is for the handshake,
// before Run starts.
func (c *Channel) WriteFrame(ctx context.Context, f wire.Frame) error {
	b, err := f.Append(nil)
	if err != nil {
		return fmt.Errorf("kwik/control: encoding %v: %w", f.Type(), err)
	}
	stop := c.deadlineFrom(ctx, c.str.SetWriteDeadline)
	defer stop()
	_, err = c.str.Write(b)
	return ctxErr(ctx, err)
}

// ReadFrame reads one frame; it is for the handshake, before Run starts.
func (c *Channel) ReadFrame(ctx context.Context) (wire.Frame, error) {
	stop := c.deadlineFrom(ctx, c.str.SetReadDeadline)
	defer stop()
	f, err := wire.ReadControlFrame(c.br)
	return f, ctxErr(ctx, err)
}

// deadlineFrom makes ctx's deadline and cancellation interrupt the stream.
// The stream's own deadline is only set once ctx is done, so that the
// interrupted call sees ctx.Err() and reports it rather than a bare timeout.
func (c *Channel) deadlineFrom(ctx context.Context, set func(time.Time) error) (stop func()) {
	cancel := context.AfterFunc(ctx, func() { set(time.Unix(1, 0)) })
	return func() {
		cancel()
		set(time.Time{})
	}
}

func ctxErr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// Run writes queued frames and hands every incoming frame to handle, in
// order, until the stream fails, handle returns an error, or ctx ends. handle
// must not block. Run returns the first error; it closes the channel and
// waits for its writer before returning.
func (c *Channel) Run(ctx context.Context, handle func(wire.Frame) error) error {
	writerDone := make(chan error, 1)
	writerCtx, stopWriter := context.WithCancel(ctx)
	go func() { writerDone <- c.writeLoop(writerCtx) }()
	stopIO := context.AfterFunc(ctx, c.interrupt)

	var err error
	for {
		var f wire.Frame
		f, err = c.readFrame()
		if err != nil {
			break
		}
		if err = handle(f); err != nil {
			break
		}
	}
	stopIO()
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	c.fail(err)
	c.interrupt() // the writer may be blocked on a stream nobody drains any more
	stopWriter()
	if werr := <-writerDone; werr != nil && !errors.Is(err, werr) && ctx.Err() == nil {
		err = errors.Join(err, werr)
	}
	return err
}

// readFrame reads the next frame. It waits for the frame's first byte as
// long as it takes, then gives the rest of the frame frameTimeout; a frame
// already buffered whole is taken without a timer.
func (c *Channel) readFrame() (wire.Frame, error) {
	if _, err := c.br.Peek(1); err != nil {
		return wire.ReadControlFrame(c.br) // the same error, as ReadControlFrame reports it
	}
	if buffered, _ := c.br.Peek(c.br.Buffered()); len(buffered) > 0 {
		if f, n, err := wire.ParseControlFrame(buffered); err == nil {
			c.br.Discard(n)
			return f, nil
		}
	}
	expired := time.AfterFunc(c.frameTimeout, func() { c.str.SetReadDeadline(time.Unix(1, 0)) })
	f, err := wire.ReadControlFrame(c.br)
	if !expired.Stop() {
		// The deadline is in the past now: the stream is of no more use,
		// even if the frame completed just in time.
		return nil, fmt.Errorf("%w for %v", ErrFrameTimeout, c.frameTimeout)
	}
	return f, err
}

// Close stops the channel; queued frames not yet written are dropped.
func (c *Channel) Close() {
	c.fail(errors.New("kwik/control: channel closed"))
	c.interrupt()
}

// interrupt makes blocked reads and writes on the stream return.
func (c *Channel) interrupt() {
	c.str.SetReadDeadline(time.Unix(1, 0))
	c.str.SetWriteDeadline(time.Unix(1, 0))
}

func (c *Channel) fail(err error) {
	c.gate.Lock()
	if c.err == nil {
		c.err = err
	}
	c.gate.UnlockFunc(c.queued)
}

func (c *Channel) writeLoop(ctx context.Context) error {
	for {
		if c.gate.WaitAndLock(ctx) != nil {
			return nil
		}
		buf := c.queue
		c.queue = c.spare[:0]
		c.spare = nil
		c.gate.Unlock(false)
		if _, err := c.str.Write(buf); err != nil {
			c.fail(err)
			return err
		}
		c.gate.Lock()
		if cap(buf) <= 1<<20 { // don't keep a burst's buffer forever
			c.spare = buf[:0]
		}
		c.gate.UnlockFunc(c.queued)
	}
}
