package data

import (
	"context"
	"io"
	"sync"

	"github.com/kwik-transport/kwik/internal/wire"
)

// MaxLaneQueue is how many bytes of frames a lane holds for quic-go beyond
// the frame quic-go is sending. quic-go's SendStream.Write returns only
// when it has packed all but the last packet of what it was given, so a
// writer that handed it one frame at a time left its send loop without
// data at the end of every frame: the GSO batch ended there and the writer
// had to be woken before the next frame could go. Queued frames go to
// quic-go in one Write while the application copies the next ones.
// (chosen by bench/onepath.sh, see bench/README.md)
const MaxLaneQueue = 64 << 10

// maxHeaderLen is the longest encoding of LaneMagic and a STREAM header.
const maxHeaderLen = 8 + 4*8

// queuePool holds the buffers frames are queued in.
var queuePool sync.Pool // of *[]byte

// sendLane is one QUIC unidirectional stream: frames are appended to its
// queue by WriteFrame (one writer at a time, the holder of turn) and
// written to quic-go by a flusher goroutine that runs while the queue is
// not empty. An idle lane holds no buffer.
type sendLane struct {
	turn  chan struct{} // a token: whoever holds it queues the next frame
	w     io.Writer     // the lane's *quic.SendStream, or a test's writer
	magic bool          // LaneMagic is still to be queued, before the first frame

	mu       sync.Mutex
	queue    []byte        // frames not yet given to quic-go
	spare    []byte        // the flusher's last buffer, for the next queue
	flushing bool          // a flusher goroutine is running
	room     chan struct{} // closed when the flusher takes the queue; nil if nobody waits
	err      error         // the Write that failed; the lane is dead
	frames   []queuedFrame // the frames in queue, in order
}

// queuedFrame is a frame in a lane's queue: where its type byte is, so
// that a FIN can still be set on it.
type queuedFrame struct {
	stream uint64
	end    uint64 // Offset + Length
	at     int    // the index of its type byte in queue
}

// finSearch is how many of the last queued frames setFin looks through
// for the stream's: a Close follows its stream's last Write closely, with
// at most a few other writers' frames queued in between.
const finSearch = 64

func newSendLane(w io.Writer) *sendLane {
	l := &sendLane{turn: make(chan struct{}, 1), w: w}
	l.turn <- struct{}{}
	return l
}

// enqueue appends the frame h, payload (and LaneMagic first on a new lane)
// to the queue, waiting while ctx allows for the queue to have room, and
// starts a flusher if none runs. The caller holds turn.
func (l *sendLane) enqueue(ctx context.Context, h wire.StreamHeader, payload []byte) error {
	size := maxHeaderLen + len(payload)
	l.mu.Lock()
	for l.err == nil && len(l.queue) > 0 && len(l.queue)+size > MaxLaneQueue {
		if l.room == nil {
			l.room = make(chan struct{})
		}
		room := l.room
		l.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			return ctx.Err()
		}
		l.mu.Lock()
	}
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	if l.queue == nil {
		l.queue = getQueueBuffer(size)
	}
	b := l.queue
	if l.magic {
		b = wire.AppendLaneMagic(b)
	}
	at := len(b)
	b, err := h.Append(b)
	if err != nil {
		return err // nothing queued: l.queue is as it was
	}
	l.queue, l.magic = append(b, payload...), false
	l.frames = append(l.frames, queuedFrame{stream: h.StreamID, end: h.End(), at: at})
	if !l.flushing {
		l.flushing = true
		go l.flush()
	}
	return nil
}

// flush gives the queue to quic-go, one Write for everything queued, until
// the queue is empty or a Write fails. It is the lane's only writer of w.
// It ends when the queue is empty; a Write blocked on quic-go ends when
// the path's connection closes.
func (l *sendLane) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.queue) > 0 && l.err == nil {
		b := l.queue
		l.queue, l.spare = l.spare, nil
		l.frames = l.frames[:0]
		if l.room != nil {
			close(l.room)
			l.room = nil
		}
		l.mu.Unlock()
		_, err := l.w.Write(b)
		l.mu.Lock()
		if err != nil {
			// quic-go may still hold b after a failed Write: b is not reused.
			l.err = err
			break
		}
		l.spare = b[:0]
	}
	if l.room != nil {
		close(l.room) // waiters see l.err
		l.room = nil
	}
	l.flushing = false
	putQueueBuffer(l.queue) // frames never given to quic-go: dropped with the lane
	putQueueBuffer(l.spare)
	l.queue, l.spare, l.frames = nil, nil, nil
}

// setFin ends stream h.StreamID at h.Offset on the last frame queued for
// it, if that frame ends there and quic-go does not have it yet: its type
// becomes FrameStreamFin in place (one byte, the same length), so a Close
// right after a stream's last Write costs no frame of its own, and no turn
// of the lane. It reports whether it did; if not, the caller sends the FIN
// in a frame of its own.
func (l *sendLane) setFin(h wire.StreamHeader) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return false
	}
	for i := len(l.frames) - 1; i >= max(0, len(l.frames)-finSearch); i-- {
		f := l.frames[i]
		if f.stream != h.StreamID {
			continue
		}
		if f.end != h.Offset {
			return false
		}
		l.queue[f.at] = byte(wire.FrameStreamFin)
		return true
	}
	return false
}

// getQueueBuffer returns an empty buffer for at least n bytes.
func getQueueBuffer(n int) []byte {
	if bp, _ := queuePool.Get().(*[]byte); bp != nil && cap(*bp) >= n {
		return (*bp)[:0]
	}
	return make([]byte, 0, max(n, MaxLaneQueue))
}

func putQueueBuffer(b []byte) {
	if cap(b) == 0 {
		return
	}
	b = b[:0]
	queuePool.Put(&b)
}
