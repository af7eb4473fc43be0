package kwik

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/kwik-transport/kwik/internal/scheduler"
	"github.com/kwik-transport/kwik/internal/streamctl"
	"github.com/kwik-transport/kwik/internal/transport"
)

// SpreadConfig tunes Spread. The zero value is valid.
type SpreadConfig struct {
	// Offset is where the object starts in the stream. Bytes before it must
	// have been written by the primary itself (a response header, say).
	Offset int64
	// PieceSize is the unit of work handed to a path; zero picks one from
	// the object's size (see scheduler.Config).
	PieceSize uint64
	// Window is the client's stream window if known; zero assumes 16 MiB.
	Window uint64
	// MaxBadPieces is how many corrupt pieces (their bytes did not match
	// the digest) a secondary path may deliver before Spread removes it;
	// each is sent again through another path. Zero means
	// DefaultMaxBadPieces; negative never removes a path.
	MaxBadPieces int
	// Logger receives the scheduler's debug records; nil discards them.
	Logger *slog.Logger
}

// DefaultMaxBadPieces is SpreadConfig.MaxBadPieces' default: one corrupt
// piece can be a disk error, three are a mirror not to use.
const DefaultMaxBadPieces = 3

// Spread delivers size bytes of content, which the secondaries know as
// object, into str, a stream of the primary session sess: the primary writes
// some ranges itself and asks every active secondary path for the others,
// handing out small pieces to whichever path drains fastest, without being
// told the paths' rates. A path that dies has its pieces reassigned. It
// returns once the client has reported every byte; the caller then ends the
// stream (str.CloseWithSize(offset+size) returns at once by then).
//
// The secondaries must run ServeRanges with the same object names.
func Spread(ctx context.Context, sess *Session, str *Stream, object string, content io.ReaderAt, size int64, conf *SpreadConfig) error {
	var c SpreadConfig
	if conf != nil {
		c = *conf
	}
	if sess.Role() != RolePrimary {
		return ErrNotPrimary
	}
	if c.Offset < 0 || size < 0 {
		return fmt.Errorf("kwik: Spread: negative offset %d or size %d", c.Offset, size)
	}
	if len(object) > maxObjectName {
		return fmt.Errorf("kwik: Spread: object name of %d bytes exceeds %d", len(object), maxObjectName)
	}
	d, err := scheduler.NewDistributor(scheduler.Config{
		Size:      uint64(size),
		PieceSize: c.PieceSize,
		Window:    c.Window,
		Logger:    c.Logger,
		// Pieces wait for the client's credit rather than block a path's
		// writes; saying so lets the client widen a window that is too
		// small for the paths' combined rate and spread of delays.
		OnReceiverLimit: func(uint64) { streamctl.Of(str).DataBlocked() },
	})
	if err != nil {
		return err
	}
	primary := scheduler.WriterSource(0, offsetWriter{str, c.Offset}, content)
	if err := d.AddSource(primary); err != nil {
		return err
	}
	if c.MaxBadPieces == 0 {
		c.MaxBadPieces = DefaultMaxBadPieces
	}
	f := &spreadFeed{sess: sess, str: str, d: d, object: object, offset: uint64(c.Offset), sources: map[uint64]bool{0: true},
		content: content, maxBad: c.MaxBadPieces, bad: make(map[uint64]int), log: c.Logger}
	f.addPaths()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		f.feed(ctx)
	}()
	err = d.Run(ctx)
	cancel()
	wg.Wait()
	return err
}

// spreadFeed turns the session's delivery reports and path states into the
// Distributor's reports, new sources and lost paths.
type spreadFeed struct {
	sess    *Session
	str     *Stream
	d       *scheduler.Distributor
	object  string
	offset  uint64          // the primary's bytes before the object
	sources map[uint64]bool // path ID → still a source
	content io.ReaderAt
	maxBad  int            // corrupt pieces after which a path is removed
	bad     map[uint64]int // path ID → corrupt pieces delivered
	log     *slog.Logger
}

func (f *spreadFeed) feed(ctx context.Context) {
	for {
		counts, changed := f.sess.Deliveries(uint64(f.str.StreamID()))
		limit, credit := streamctl.Of(f.str).SendLimit()
		if limit > f.offset {
			f.d.SetReceiverLimit(limit - f.offset)
		}
		f.addPaths()
		// After the counts: a failure reaches the primary before the
		// report that counts the failed piece's last bytes.
		f.pieceFailures()
		for path, n := range counts {
			if path == 0 {
				n -= min(n, f.offset)
			}
			if f.sources[path] {
				f.d.Report(scheduler.Report{PathID: path, Delivered: n})
			}
		}
		select {
		case <-changed:
		case <-credit:
		case <-ctx.Done():
			return
		}
	}
}

// addPaths makes every new active secondary a source and tells the
// Distributor of paths that are gone.
func (f *spreadFeed) addPaths() {
	for _, p := range f.sess.AllPaths() {
		if p.Primary {
			continue
		}
		active := p.State == transport.PathActive || p.State == transport.PathDegraded
		switch known, ok := f.sources[p.ID]; {
		case active && !ok:
			src := &relaySource{sess: f.sess, pathID: p.ID, streamID: uint64(f.str.StreamID()), object: f.object, offset: f.offset, content: f.content}
			if f.d.AddSource(src) == nil {
				f.sources[p.ID] = true
			}
		case !active && p.State != transport.PathPending && known:
			f.sources[p.ID] = false
			f.d.PathDown(p.ID)
		}
	}
}

// relaySource asks a secondary for ranges with relayed raw data, after
// assigning each range to it with its digest (SPEC rule 8).
type relaySource struct {
	sess     *Session
	pathID   uint64
	streamID uint64
	object   string
	offset   uint64
	content  io.ReaderAt
}

func (s *relaySource) PathID() uint64 { return s.pathID }

func (s *relaySource) Send(_ context.Context, r scheduler.Range) error {
	digest, err := digestRange(s.content, r)
	if err != nil {
		return err
	}
	if err := s.sess.AssignDigest(s.pathID, s.streamID, s.offset+r.Start, r.Len(), digest); err != nil {
		return err
	}
	msg := appendRangeRequest(nil, s.object, s.offset+r.Start, r.End-r.Start, s.offset)
	return s.sess.SendRawData(s.pathID, s.streamID, msg)
}

// offsetWriter shifts writes by the object's offset in the stream.
type offsetWriter struct {
	w   io.WriterAt
	off int64
}

func (o offsetWriter) WriteAt(p []byte, off int64) (int, error) { return o.w.WriteAt(p, off+o.off) }

// A range request, relayed from Spread to ServeRanges:
// magic (1 byte) | stream offset (8) | length (8) | object offset (8) | object name.
const (
	rangeRequestMagic = 0x52 // 'R'
	rangeRequestHead  = 1 + 8 + 8 + 8
	maxObjectName     = 4096
)

func appendRangeRequest(b []byte, object string, off, n, base uint64) []byte {
	b = append(b, rangeRequestMagic)
	b = binary.BigEndian.AppendUint64(b, off)
	b = binary.BigEndian.AppendUint64(b, n)
	b = binary.BigEndian.AppendUint64(b, base)
	return append(b, object...)
}

// rangeRequest is a decoded range request.
type rangeRequest struct {
	object    string
	off, n    uint64 // the stream range to write
	objectOff uint64 // where the object starts in the stream
}

// ErrBadRangeRequest is returned by ServeRanges for raw data that is not a
// range request from Spread.
var ErrBadRangeRequest = errors.New("kwik: raw data is not a range request from Spread")

func parseRangeRequest(b []byte) (rangeRequest, error) {
	if len(b) < rangeRequestHead || b[0] != rangeRequestMagic || len(b)-rangeRequestHead > maxObjectName {
		return rangeRequest{}, ErrBadRangeRequest
	}
	r := rangeRequest{
		off:       binary.BigEndian.Uint64(b[1:]),
		n:         binary.BigEndian.Uint64(b[9:]),
		objectOff: binary.BigEndian.Uint64(b[17:]),
		object:    string(b[rangeRequestHead:]),
	}
	if r.off < r.objectOff || r.off+r.n < r.off || r.off+r.n > 1<<62 {
		return rangeRequest{}, ErrBadRangeRequest
	}
	return r, nil
}

// ServeRanges is the secondary side of Spread: it answers every range
// request relayed to sess by writing the bytes from the object open returns
// into the client's stream, in the order the requests came, until ctx ends
// or the session closes. When the primary removes the path, it writes every
// range already requested and returns nil; the caller then closes sess.
// open is called once per request; content it returns that implements
// io.Closer is closed after use.
func ServeRanges(ctx context.Context, sess *Session, open func(object string) (io.ReaderAt, error)) error {
	if sess.Role() != RoleSecondary {
		return ErrNotSecondary
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	rs := &rangeServer{sess: sess, open: open, queues: make(map[uint64]*rangeQueue)}
	for {
		msg, err := sess.AcceptRawData(ctx)
		if errors.Is(err, ErrPathRemoved) {
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
	sess *Session
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
func (rs *rangeServer) serve(ctx context.Context, streamID uint64, w *Stream, q *rangeQueue) {
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
func (rs *rangeServer) write(w *Stream, req rangeRequest, buf []byte) error {
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
