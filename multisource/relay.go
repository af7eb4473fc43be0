package multisource

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/scheduler"
)

// maxQueuedPieces bounds the pieces a relay source holds between the
// Distributor handing them out and their digests being computed; more are
// refused (the Distributor waits, or gives them to another path). The
// client's own bound on a path's assignments, kwik.DefaultMaxAssignments,
// is the same.
const maxQueuedPieces = 1024

// relaySource asks a secondary for ranges with relayed raw data, after
// assigning each range to it with its digest (SPEC rule 8). Send only
// queues the range: the source's worker hashes it and relays the request,
// so that hashing overlaps the paths' sending instead of holding up the
// Distributor, and each secondary's pieces are hashed on their own
// goroutine.
type relaySource struct {
	sess     *kwik.Session
	d        *scheduler.Distributor
	pathID   uint64
	streamID uint64
	object   string
	offset   uint64
	content  io.ReaderAt
	queue    chan scheduler.Range // handed out, not yet relayed, in order
	noAssign bool                 // Config.InsecureSkipAssign
}

func newRelaySource(f *spreadFeed, pathID uint64) *relaySource {
	return &relaySource{sess: f.sess, d: f.d, pathID: pathID, streamID: uint64(f.str.StreamID()),
		object: f.object, offset: f.offset, content: f.content, noAssign: f.noAssign, queue: make(chan scheduler.Range, maxQueuedPieces)}
}

func (s *relaySource) PathID() uint64 { return s.pathID }

// Send queues r for the worker, in order.
func (s *relaySource) Send(_ context.Context, r scheduler.Range) error {
	select {
	case s.queue <- r:
		return nil
	default:
		return fmt.Errorf("%w: %d pieces of path %d wait for their digests", scheduler.ErrRefused, len(s.queue), s.pathID)
	}
}

// run relays the queued ranges until ctx ends or the path cannot go on.
func (s *relaySource) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-s.queue:
			if err := s.relay(r); err != nil {
				if ctx.Err() == nil {
					// A receiver that closed the session or stopped the
					// stream (a client's cancel) fails the relay before
					// Spread's context learns of it: not this path's fault.
					log := s.sess.Logger().Warn
					if receiverGone(err) {
						log = s.sess.Logger().Debug
					}
					log("multisource: Spread: path marked down", "path", s.pathID, "range", r, "err", err)
					s.d.PathDown(s.pathID)
				}
				return
			}
		}
	}
}

// relay assigns r to the path with its digest and asks the secondary for
// it. A range the client would refuse is handed back to the Distributor,
// unrelayed: the honest secondary would be closed for writing it.
func (s *relaySource) relay(r scheduler.Range) error {
	if s.noAssign {
		return s.request(r)
	}
	digest, err := digestRange(s.content, r)
	if err != nil {
		return err
	}
	err = s.sess.AssignDigest(s.pathID, s.streamID, s.offset+r.Start, r.Len(), digest)
	if errors.Is(err, kwik.ErrAssignmentRefused) {
		s.d.Refused(s.pathID, r)
		return nil
	}
	if err != nil {
		return err
	}
	return s.request(r)
}

// request asks the secondary for r.
func (s *relaySource) request(r scheduler.Range) error {
	msg := appendRangeRequest(nil, s.object, s.offset+r.Start, r.Len(), s.offset)
	return s.sess.SendRawData(s.pathID, s.streamID, msg)
}
