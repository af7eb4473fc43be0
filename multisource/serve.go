package multisource

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/kwik-transport/kwik"
)

// ServeRanges is the secondary side of Spread: it answers every range
// request relayed to sess by writing the bytes from the object open returns
// into the client's stream, in the order the requests came, until ctx ends
// or the session closes. When the primary removes the path, it writes every
// range already requested and returns nil; the caller then closes sess.
// open is called once per request; content it returns that implements
// io.Closer is closed after use.
func ServeRanges(ctx context.Context, sess *kwik.Session, open func(object string) (io.ReaderAt, error)) error {
	if sess.Role() != kwik.RoleSecondary {
		return kwik.ErrNotSecondary
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	rs := &rangeServer{sess: sess, open: open, queues: make(map[uint64]*rangeQueue)}
	for {
		msg, err := sess.AcceptRawData(ctx)
		if errors.Is(err, kwik.ErrPathRemoved) {
			rs.drain()
			wg.Wait()
			return nil
		}
		if err != nil {
			return err
		}
		req, err := parseRangeRequest(msg.Data)
		if err != nil {
			sess.Logger().Warn("ignoring raw data", "stream", msg.StreamID, "err", err)
			continue
		}
		if q := rs.enqueue(msg.StreamID, req); q != nil {
			w, err := sess.StreamWriter(msg.StreamID)
			if err != nil {
				return err
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				rs.serve(ctx, msg.StreamID, w, q)
			}()
		}
	}
}

// rangeServer holds, per client stream, the range requests waiting for
// that stream's writer.
type rangeServer struct {
	sess *kwik.Session
	open func(string) (io.ReaderAt, error)

	mu       sync.Mutex
	queues   map[uint64]*rangeQueue
	draining bool // no request will come: writers stop once their queue is empty
}

// rangeQueue is one stream's requests, in arrival order.
type rangeQueue struct {
	reqs []rangeRequest
	wake chan struct{} // signalled when reqs grows
}

// enqueue adds req to its stream's queue and returns the queue if it is new
// (the caller then starts its writer).
func (rs *rangeServer) enqueue(streamID uint64, req rangeRequest) *rangeQueue {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	q := rs.queues[streamID]
	fresh := q == nil
	if fresh {
		q = &rangeQueue{wake: make(chan struct{}, 1)}
		rs.queues[streamID] = q
	}
	q.reqs = append(q.reqs, req)
	select {
	case q.wake <- struct{}{}:
	default:
	}
	if fresh {
		return q
	}
	return nil
}

// drain makes every stream's writer return once its queue is empty.
func (rs *rangeServer) drain() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.draining = true
	for _, q := range rs.queues {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
}

// next pops the oldest request. When there is none it reports whether the
// writer is done: its stream is finished (the queue is then forgotten) or
// no request will come.
func (rs *rangeServer) next(streamID uint64, q *rangeQueue, finished bool) (req rangeRequest, ok, done bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if len(q.reqs) == 0 {
		if finished {
			delete(rs.queues, streamID)
		}
		return rangeRequest{}, false, finished || rs.draining
	}
	req = q.reqs[0]
	q.reqs = q.reqs[1:]
	return req, true, false
}

// serve writes the requested ranges into one client stream, in order, until
// the client has the whole stream (the writer's context ends) or ctx ends.
func (rs *rangeServer) serve(ctx context.Context, streamID uint64, w *kwik.Stream, q *rangeQueue) {
	buf := make([]byte, 64<<10)
	for {
		req, ok, done := rs.next(streamID, q, w.Context().Err() != nil)
		if !ok {
			if done {
				return // a forgotten queue starts afresh at a later request
			}
			select {
			case <-q.wake:
			case <-w.Context().Done():
			case <-ctx.Done():
				return
			}
			continue
		}
		if err := rs.write(w, req, buf); err != nil {
			rs.sess.Logger().Info("stream writer stopped", "stream", streamID, "err", err)
			return
		}
	}
}

// write copies one requested range from its object into the stream.
func (rs *rangeServer) write(w *kwik.Stream, req rangeRequest, buf []byte) error {
	content, err := rs.open(req.object)
	if err != nil {
		rs.sess.Logger().Warn("cannot serve range", "object", req.object, "err", err)
		return nil // the primary will see the range missing and resend it
	}
	defer closeContent(content)
	for off, end := req.off, req.off+req.n; off < end; {
		n := min(uint64(len(buf)), end-off)
		m, err := content.ReadAt(buf[:n], int64(off-req.objectOff))
		if m > 0 {
			if _, werr := w.WriteAt(buf[:m], int64(off)); werr != nil {
				return werr
			}
			off += uint64(m)
		}
		if err != nil && (err != io.EOF || m == 0) {
			rs.sess.Logger().Warn("reading range", "object", req.object, "err", err)
			return nil
		}
	}
	return nil
}

func closeContent(r io.ReaderAt) {
	if c, ok := r.(io.Closer); ok {
		c.Close()
	}
}
