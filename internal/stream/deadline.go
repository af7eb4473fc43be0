package stream

import (
	"os"
	"sync"
	"time"
)

// deadline is a settable point in time with a channel that closes when it
// passes. Moving the deadline takes effect for operations already waiting.
type deadline struct {
	mu     sync.Mutex
	timer  *time.Timer
	passed chan struct{} // closed once the deadline has passed
}

func newDeadline() *deadline { return &deadline{passed: make(chan struct{})} }

func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		<-d.passed // the timer fired: wait until it has closed the channel
	}
	d.timer = nil
	closed := isClosed(d.passed)
	if t.IsZero() {
		if closed {
			d.passed = make(chan struct{})
		}
		return
	}
	wait := time.Until(t)
	if wait <= 0 {
		if !closed {
			close(d.passed)
		}
		return
	}
	if closed {
		d.passed = make(chan struct{})
	}
	ch := d.passed
	d.timer = time.AfterFunc(wait, func() { close(ch) })
}

// done returns a channel closed when the deadline (as set now) passes.
func (d *deadline) done() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.passed
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// deadlineContext is a Context that ends when a deadline passes. Reads use
// it to wait in the presentation layer without a goroutine or timer per call.
// It holds nothing but the channel, so that it fits in an interface value
// without an allocation per Read or frame; it carries no values.
type deadlineContext struct{ passed <-chan struct{} }

func (c deadlineContext) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c deadlineContext) Done() <-chan struct{}       { return c.passed }
func (c deadlineContext) Value(any) any               { return nil }
func (c deadlineContext) Err() error {
	select {
	case <-c.passed:
		return errDeadline
	default:
		return nil
	}
}

// errDeadline is returned when a read or write deadline passes; like
// quic-go's, it is a net.Error with Timeout() true and wraps
// os.ErrDeadlineExceeded.
var errDeadline error = deadlineError{}

type deadlineError struct{}

func (deadlineError) Error() string   { return "kwik: deadline exceeded" }
func (deadlineError) Timeout() bool   { return true }
func (deadlineError) Temporary() bool { return true }
func (deadlineError) Unwrap() error   { return os.ErrDeadlineExceeded }
