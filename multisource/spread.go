package multisource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/scheduler"
	"github.com/kwik-transport/kwik/internal/streamctl"
)

// Config tunes Spread. The zero value is valid.
type Config struct {
	// Offset is where the object starts in the stream. Bytes before it must
	// have been written by the primary itself (a response header, say).
	Offset int64
	// PieceSize is the unit of work handed to a path; zero picks one from
	// the object's size.
	PieceSize uint64
	// Window is the client's stream window if known; zero assumes 16 MiB.
	Window uint64
	// MaxBadPieces is how many corrupt pieces (their bytes did not match
	// the digest) a secondary path may deliver before Spread removes it;
	// each is sent again through another path. Zero means
	// DefaultMaxBadPieces; negative never removes a path.
	MaxBadPieces int
	// InsecureSkipAssign makes Spread ask the secondaries for ranges
	// without assigning them (no kwik.Session.AssignDigest, no hashing):
	// only a client with Config.InsecureAcceptUnassignedData takes those
	// bytes, unverified; any other client drops them and the object never
	// completes. It exists to measure what verification costs (bench/netns.sh).
	InsecureSkipAssign bool
	// Logger receives the scheduler's debug records; nil discards them.
	Logger *slog.Logger
	// OnStats, if not nil, is called once as Spread returns, whatever the
	// outcome once it started distributing, with what it did per path:
	// pieces re-sent, pieces that failed verification, paths removed.
	// Metrics count them.
	OnStats func(Stats)
}

// DefaultMaxBadPieces is Config.MaxBadPieces' default: one corrupt
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
func Spread(ctx context.Context, sess *kwik.Session, str *kwik.Stream, object string, content io.ReaderAt, size int64, conf *Config) error {
	var c Config
	if conf != nil {
		c = *conf
	}
	if sess.Role() != kwik.RolePrimary {
		return kwik.ErrNotPrimary
	}
	if c.Offset < 0 || size < 0 {
		return fmt.Errorf("multisource: Spread: negative offset %d or size %d", c.Offset, size)
	}
	if len(object) > maxObjectName {
		return fmt.Errorf("multisource: Spread: object name of %d bytes exceeds %d", len(object), maxObjectName)
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
		HoldBack:        primaryHoldBack(sess),
		// The secondaries' commands cross the primary's path.
		Relay: &scheduler.Relay{PathID: 0},
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	primary := scheduler.WriterSource(0, stopOnReceiver{offsetWriter{str, c.Offset}, sess, cancel}, content)
	if err := d.AddSource(primary); err != nil {
		return err
	}
	if c.MaxBadPieces == 0 {
		c.MaxBadPieces = DefaultMaxBadPieces
	}
	var wg sync.WaitGroup
	f := &spreadFeed{sess: sess, str: str, d: d, object: object, offset: uint64(c.Offset), sources: map[uint64]bool{0: true},
		content: content, maxBad: c.MaxBadPieces, bad: make(map[uint64]int), removed: make(map[uint64]bool), noAssign: c.InsecureSkipAssign, log: c.Logger, ctx: ctx, wg: &wg}
	f.addPaths()
	wg.Go(func() { f.feed(ctx) })
	err = d.Run(ctx)
	stopped := context.Cause(ctx)
	cancel(nil)
	wg.Wait()
	if c.OnStats != nil {
		c.OnStats(f.stats())
	}
	if receiverGone(stopped) {
		return stopped
	}
	return err
}

// primaryHold bounds how long the primary waits for its secondaries' rates
// to be measured before it sends its own: a join and two reports take a few
// report intervals.
const primaryHold = 4 * scheduler.DefaultReportInterval

// primaryHoldBack holds the primary's own bytes back until the secondaries
// that are joining or active have measured rates (at most primaryHold), so
// that their first range requests, and those their rates call for, which
// cross the primary's path, do not queue behind the primary's data there.
// Without secondaries it holds nothing.
func primaryHoldBack(sess *kwik.Session) *scheduler.HoldBack {
	for _, p := range sess.AllPaths() {
		switch {
		case p.Primary:
		case p.State == kwik.PathPending, p.State == kwik.PathActive, p.State == kwik.PathDegraded:
			return &scheduler.HoldBack{PathID: 0, For: primaryHold}
		}
	}
	return nil
}

// receiverGone reports whether a write failed because the receiver stopped
// the stream or closed the primary's connection (a client that gave up).
func receiverGone(err error) bool {
	if se, ok := errors.AsType[*kwik.StreamError](err); ok {
		return se.Remote
	}
	if ae, ok := errors.AsType[*kwik.ApplicationError](err); ok {
		return ae.Remote
	}
	return false
}

// stopOnReceiver ends the whole run as soon as the receiver stops the
// stream or closes the connection (a client that gave up), or the session
// ends: no path
// can deliver the stream any more, so it is not one path's failure for the
// scheduler to work around.
type stopOnReceiver struct {
	offsetWriter
	sess *kwik.Session
	stop context.CancelCauseFunc
}

func (w stopOnReceiver) WriteAt(p []byte, off int64) (int, error) {
	n, err := w.offsetWriter.WriteAt(p, off)
	if receiverGone(err) {
		w.stop(err)
	} else if err != nil && w.sess.Err() != nil {
		w.stop(w.sess.Err())
	}
	return n, err
}

// offsetWriter shifts writes by the object's offset in the stream.
type offsetWriter struct {
	w   io.WriterAt
	off int64
}

func (o offsetWriter) WriteAt(p []byte, off int64) (int, error) { return o.w.WriteAt(p, off+o.off) }
