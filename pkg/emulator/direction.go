package emulator

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// maxHeldBytes bounds the memory of one direction of a link: queue and delay
// line together. It only matters at unlimited rate with a long delay (1 Gbit/s
// for 200 ms is 25 MB in flight); packets beyond it are queue drops.
const maxHeldBytes = 64 << 20

// direction carries packets one way through a link: it admits them through
// its shaper and one goroutine releases each at its due time.
type direction struct {
	name   string                // "up" or "down", for logs
	now    func() time.Duration  // the link's clock
	write  func(p *packet) error // sends a released packet on its way
	killed *atomic.Bool          // the link's kill switch
	log    *slog.Logger
	wake   chan struct{} // the delay line went from empty to not empty

	mu      sync.Mutex
	shaper  *shaper
	line    delayLine
	sending int // packets taken off the line, or never put on it, being sent

	counters
}

func newDirection(name string, s *shaper, now func() time.Duration, write func(*packet) error, killed *atomic.Bool, log *slog.Logger) *direction {
	return &direction{
		name:   name,
		now:    now,
		write:  write,
		killed: killed,
		log:    log,
		wake:   make(chan struct{}, 1),
		shaper: s,
	}
}

// setParams changes the shaping of packets that arrive from now on.
func (d *direction) setParams(p params) {
	d.mu.Lock()
	d.shaper.p = p
	d.mu.Unlock()
}

// enqueue takes ownership of p, which arrived at now, and drops it, sends
// it at once or schedules it.
func (d *direction) enqueue(p *packet, now time.Duration) {
	d.received.Add(1)
	if d.killed.Load() {
		d.killDrops.Add(1)
		p.free()
		return
	}
	d.mu.Lock()
	if d.line.bytes+len(p.buf) > maxHeldBytes {
		d.mu.Unlock()
		d.queueDrops.Add(1)
		p.free()
		return
	}
	due, v := d.shaper.admit(now, len(p.buf))
	if v != admitted {
		d.mu.Unlock()
		if v == queueFull {
			d.queueDrops.Add(1)
		} else {
			d.lossDrops.Add(1)
		}
		p.free()
		return
	}
	// A packet due now, with nothing ahead of it, is sent by the reader
	// itself: handing it to the release goroutine would cost a wake-up per
	// packet, which at unlimited rate is most of the link's work.
	if due <= now && d.line.len == 0 && d.sending == 0 {
		d.sending++
		d.mu.Unlock()
		d.release(p)
		d.mu.Lock()
		d.sending--
		d.mu.Unlock()
		return
	}
	p.due = due
	wasEmpty := d.line.len == 0
	d.line.push(p)
	d.mu.Unlock()
	if wasEmpty {
		select {
		case d.wake <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
}

// run releases packets at their due times until done is closed. A single
// timer, re-armed for the head of the delay line, drives it: it sleeps
// exactly until the next packet is due.
func (d *direction) run(done <-chan struct{}) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var due []*packet
	for {
		select {
		case <-done:
			return
		default:
		}
		now := d.now()
		d.mu.Lock()
		for p := d.line.peek(); p != nil && p.due <= now; p = d.line.peek() {
			due = append(due, d.line.pop())
		}
		// Copy the head's due time under the lock: once unlocked, drain may
		// free the packet and the pool hand it to enqueue for reuse.
		var nextDue time.Duration
		next := d.line.peek()
		if next != nil {
			nextDue = next.due
		}
		if len(due) > 0 {
			d.sending++
		}
		d.mu.Unlock()

		if len(due) > 0 {
			for i, p := range due {
				d.release(p)
				due[i] = nil
			}
			due = due[:0]
			d.mu.Lock()
			d.sending--
			d.mu.Unlock()
			continue // sending took time: look again before sleeping
		}
		if next != nil {
			timer.Reset(nextDue - now)
		}
		select {
		case <-done:
			return
		case <-d.wake:
		case <-timer.C:
		}
	}
}

// release sends p, unless the link was killed in the meantime.
func (d *direction) release(p *packet) {
	defer p.free()
	if d.killed.Load() {
		d.killDrops.Add(1)
		return
	}
	d.packets.Add(1)
	d.bytes.Add(uint64(len(p.buf)))
	if err := d.write(p); err != nil {
		d.sendErrors.Add(1)
		d.log.Debug("emulator: forwarding failed", "direction", d.name, "client", p.flow.client, "err", err)
	}
}

// drain frees every packet still in the delay line and returns how many
// there were. The queue and bucket start afresh, as a router's do when its
// link goes down.
func (d *direction) drain() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for p := d.line.pop(); p != nil; p = d.line.pop() {
		p.free()
		n++
	}
	d.shaper.full, d.shaper.lastDue = 0, 0
	return n
}
