package fileserve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/multisource"
)

// defaultRequestTimeout bounds how long a client may take to send its
// request and close its side of the stream.
const defaultRequestTimeout = 10 * time.Second

// Remote is a secondary server that a primary adds to each of its sessions.
type Remote struct {
	Addr string // host:port as the client will dial it
	Pin  []byte // SHA-256 of its public key (kwik.PublicKeyPin); nil: the client verifies its certificate
}

// Transfer describes an object a primary has started to send.
type Transfer struct {
	Session  *kwik.Session
	StreamID uint64
	Name     string
	Size     int64 // the whole object's
	Start    int64 // the offset in the object of the first byte sent
	Offset   int64 // where those bytes start in the stream: the header's length
}

// Primary answers requests on a primary server's sessions: it adds its
// secondaries to each session and spreads each requested object over them
// and itself with multisource.Spread, which re-sends what a dead path leaves
// missing.
type Primary struct {
	// Store holds the objects offered; the secondaries must offer the same
	// objects under the same names.
	Store Store
	// Secondaries are added to every session, concurrently; one that cannot
	// be reached is logged and left out.
	Secondaries []Remote
	// PieceSize is the unit of work Spread hands to a path; zero lets it
	// choose from the object's size.
	PieceSize uint64
	// Window bounds how far past the lowest byte the client still misses
	// a piece may be handed out (multisource.Config.Window). It must stay
	// below the stream window clients grant, or a path's writes block on
	// flow control with recovery work queued behind them. Zero means half
	// of StreamWindow, which suits clients configured with ClientConfig.
	Window uint64
	// Digests caches the SHA-256 of the objects served and of the pieces
	// assigned to secondaries, so that a popular object is hashed once. A
	// primary that knows an object's digest announces it in the header.
	// Nil means a cache of DefaultDigestFiles objects of this Primary's own.
	Digests *DigestCache
	// InsecureNoDigests assigns no piece to the secondaries
	// (multisource.Config.InsecureSkipAssign): only clients that accept
	// unassigned, unverified bytes get the file. For measuring what
	// verification costs (kwik serve --insecure-no-digests), never for use.
	InsecureNoDigests bool
	// RequestTimeout bounds how long a client may take to send its request.
	// Zero means 10 s.
	RequestTimeout time.Duration
	// OnTransfer, if not nil, is called as each transfer starts, before any
	// byte of the object is sent. It must not block.
	OnTransfer func(Transfer)
	// OnSpread, if not nil, is called as each transfer's Spread returns,
	// with what Spread did per path (metrics count the pieces re-sent and
	// those that failed verification). It must not block.
	OnSpread func(Transfer, multisource.Stats)
	// OnJoinFailure, if not nil, is called when a secondary could not be
	// added to a session (metrics count them). It must not block.
	OnJoinFailure func(secondary string, err error)
	// Logger receives warnings and debug records; nil discards them.
	Logger *slog.Logger

	digestsOnce sync.Once
}

// ServeSession serves sess, a primary session, until the client closes it
// or ctx ends, then closes it. The session stays open after the last
// transfer so that the client reads every byte before it closes.
func (p *Primary) ServeSession(ctx context.Context, sess *kwik.Session) {
	log := logger(p.Logger).With("client", sess.RemoteAddr().String())
	defer closeOnShutdown(ctx, sess)()
	serverCtx := ctx // outlives the session: hashing after a transfer
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, r := range p.Secondaries {
		wg.Go(func() {
			info, err := sess.AddPath(ctx, r.Addr, r.Pin)
			if err != nil {
				switch {
				case ctx.Err() == nil && sess.Err() == nil:
					if p.OnJoinFailure != nil {
						p.OnJoinFailure(r.Addr, err)
					}
					log.Warn("cannot add a secondary; serving without it", "secondary", r.Addr, "why", joinFailure(err), "err", err)
				case serverCtx.Err() == nil:
					// The client was done first: a secondary that takes
					// longer to join than a download lasts, or one that
					// never answers (the client gives up after its
					// handshake timeout).
					log.Info("the session ended before a secondary joined", "secondary", r.Addr)
				}
				return
			}
			log.Debug("secondary added", "secondary", r.Addr, "path", info.ID)
		})
	}
	for {
		str, err := sess.AcceptStream(ctx)
		if err != nil {
			break
		}
		wg.Go(func() { p.serveStream(ctx, serverCtx, sess, str, log) })
	}
	code, msg := closeReason(ctx)
	cancel()
	wg.Wait()
	sess.CloseWithError(code, msg)
}

// serveStream answers one request.
// serverCtx, which ends when the server stops rather than with the
// session, bounds hashing the object once it was sent.
func (p *Primary) serveStream(ctx, serverCtx context.Context, sess *kwik.Session, str *kwik.Stream, log *slog.Logger) {
	req, obj, ok := p.openRequested(str, log)
	if !ok {
		return
	}
	defer obj.Close()
	size, start := obj.Size(), req.Start
	content, sum, hashWhole := p.digested(obj, start)

	head := Header{Size: size, Start: start, SHA256: sum}.Append(nil)
	offset, body := int64(len(head)), size-start
	tr := Transfer{Session: sess, StreamID: uint64(str.StreamID()), Name: req.Name, Size: size, Start: start, Offset: offset}
	if p.OnTransfer != nil {
		p.OnTransfer(tr)
	}
	log.Debug("sending", "stream", str.StreamID(), "name", req.Name, "size", size, "start", start)
	var err error
	var paths string
	switch {
	case len(p.Secondaries) == 0:
		// Alone, the primary writes the object itself: Spread would only
		// add its wait for the client's delivery reports.
		paths = fmt.Sprintf("0=%d", body)
		if err = writeObject(str, head, content, body); err == nil {
			err = str.Close()
		}
	default:
		if _, err = str.Write(head); err == nil && body > 0 {
			conf := &multisource.Config{Offset: offset, PieceSize: p.PieceSize, Window: p.window(), InsecureSkipAssign: p.InsecureNoDigests, Logger: p.Logger}
			if p.OnSpread != nil {
				conf.OnStats = func(s multisource.Stats) { p.OnSpread(tr, s) }
			}
			err = multisource.Spread(ctx, sess, str, objectKey(req.Name, start), content, body, conf)
		}
		// The session forgets a stream's delivery reports once it ends:
		// take them while the stream is still open.
		if err == nil {
			paths = deliveries(sess, uint64(str.StreamID()), offset)
			err = str.CloseWithSize(offset + body)
		}
	}
	if hashWhole != nil {
		// After the transfer, not alongside it: the hashing would compete
		// with the sending. "sent" then means the next request is
		// announced the digest. A failed transfer gives up the claim.
		hctx := serverCtx
		if err != nil {
			var cancel context.CancelFunc
			hctx, cancel = context.WithCancel(serverCtx)
			cancel()
		}
		hashWhole(hctx)
	}
	if err == nil {
		log.Info("sent", "stream", str.StreamID(), "name", req.Name, "size", size, "start", start, "paths", paths)
		return
	}
	how := clientGone(err)
	if serr := sess.Err(); how == "" && serr != nil {
		// The session ended first: ServeSession then cancels the transfer's
		// context, and Spread says only "canceled"; the session says why.
		how = clientGone(serr)
	}
	if how != "" {
		// Ctrl-C of kwik get: the client's choice, not a failure of this
		// server or of a path.
		log.Info("the client cancelled the transfer", "stream", str.StreamID(), "name", req.Name, "how", how)
		return
	}
	if ctx.Err() == nil && sess.Err() == nil {
		log.Warn("transfer failed", "stream", str.StreamID(), "name", req.Name, "err", err)
	}
	str.CancelWrite(codeTransferFailed)
}

// clientGone says how the client ended a transfer that err cut short, or
// "" if err is not the client's doing.
func clientGone(err error) string {
	if se, ok := errors.AsType[*kwik.StreamError](err); ok && se.Remote {
		return "stopped the stream"
	}
	if ae, ok := errors.AsType[*kwik.ApplicationError](err); ok && ae.Remote {
		return "closed the session"
	}
	return ""
}

// openRequested reads the request on str and opens what it asks for, or
// answers with a refusal and returns false.
func (p *Primary) openRequested(str *kwik.Stream, log *slog.Logger) (Request, Object, bool) {
	timeout := p.RequestTimeout
	if timeout <= 0 {
		timeout = defaultRequestTimeout
	}
	str.SetReadDeadline(time.Now().Add(timeout))
	b, err := io.ReadAll(io.LimitReader(str, int64(maxRequestLen)+1))
	if err != nil {
		log.Info("reading the request", "stream", str.StreamID(), "err", err)
		str.CancelWrite(codeRefused)
		return Request{}, nil, false
	}
	req, err := ParseRequest(b)
	var obj Object
	if err == nil {
		obj, err = p.Store.Open(req.Name)
	}
	if err == nil && req.Start > obj.Size() {
		err = fmt.Errorf("%w: start %d is past the end of %q (%d bytes)", ErrBadRequest, req.Start, req.Name, obj.Size())
		obj.Close()
	}
	if err != nil {
		log.Info("request refused", "stream", str.StreamID(), "name", req.Name, "err", err)
		code := codeOf(err)
		// The code already says what the sentinel would.
		msg := strings.TrimPrefix(err.Error(), code.sentinel().Error()+": ")
		refusal := Header{Err: &RemoteError{Code: code, Message: msg}}
		if _, err := str.Write(refusal.Append(nil)); err == nil {
			str.Close()
		}
		return Request{}, nil, false
	}
	return req, obj, true
}

// copyBufs are the buffers a primary without secondaries writes objects
// through, shared by its streams.
var copyBufs = sync.Pool{New: func() any { return new([64 << 10]byte) }}

// writeObject writes head, then size bytes of content from its start, to
// str. The header goes in the Write of the object's first bytes: a small
// object then takes one frame, not two.
func writeObject(str io.Writer, head []byte, content io.ReaderAt, size int64) error {
	buf := copyBufs.Get().(*[64 << 10]byte)
	defer copyBufs.Put(buf)
	n := copy(buf[:], head)
	for off := int64(0); ; n = 0 {
		m, err := content.ReadAt(buf[n:n+int(min(size-off, int64(len(buf)-n)))], off)
		off, n = off+int64(m), n+m
		switch {
		case err == io.EOF && off < size:
			return fmt.Errorf("the object ends at byte %d of %d: %w", off, size, io.ErrUnexpectedEOF)
		case err != nil && err != io.EOF:
			return err
		}
		if n > 0 {
			if _, err := str.Write(buf[:n]); err != nil {
				return err
			}
		}
		if off == size {
			return nil
		}
	}
}

// deliveries describes how many bytes of a stream the client received
// through each path, as "path=bytes" pairs by path ID; the primary's count
// leaves out the header.
func deliveries(sess *kwik.Session, streamID uint64, header int64) string {
	counts, _ := sess.Deliveries(streamID)
	ids := slices.Sorted(maps.Keys(counts))
	parts := make([]string, len(ids))
	for i, id := range ids {
		n := counts[id]
		if id == 0 {
			n -= min(n, uint64(header))
		}
		parts[i] = fmt.Sprintf("%d=%d", id, n)
	}
	return strings.Join(parts, ",")
}

func (p *Primary) window() uint64 {
	if p.Window > 0 {
		return p.Window
	}
	return StreamWindow / 2
}

// joinFailure says in a user's words why a secondary could not join, from
// the error AddPath returned (the refusal travels as text from the
// secondary or the client, so its message is all there is to go by).
func joinFailure(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "path token is not valid"):
		return "the secondary refused this primary's token: their group keys differ (give both the same $KWIK_GROUP_KEY or --group-key-file)"
	case strings.Contains(msg, "no server-group key"):
		return "the secondary has no group key: start it with the primary's $KWIK_GROUP_KEY or --group-key-file"
	case strings.Contains(msg, "pin") && strings.Contains(msg, "does not match"):
		return "the secondary's public key does not match its pin in --secondary ADDR=PIN: a development-mode secondary makes a new key each time it starts; put its current \"pin:\" line in --secondary"
	case strings.Contains(msg, "not allowed by the client"), strings.Contains(msg, "AllowPath"):
		return "the client refused to dial this secondary's address"
	case strings.Contains(msg, "timeout") || strings.Contains(msg, "no recent network activity"):
		return "the secondary did not answer: is it running, and reachable from the client at this address?"
	}
	return "the client could not open a path to it"
}

// digested returns what Spread reads of obj from start: with its pieces'
// digests cached when obj has an identity. sum is the whole object's
// digest if known; otherwise hash, if not nil, computes and caches it
// (the caller runs it after the transfer, for the next requests; it must
// run, or the object is never hashed).
func (p *Primary) digested(obj Object, start int64) (content io.ReaderAt, sum []byte, hash func(context.Context)) {
	section := io.NewSectionReader(obj, start, obj.Size()-start)
	o, ok := obj.(identified)
	if !ok {
		return section, nil, nil
	}
	id, ok := o.identity()
	if !ok {
		return section, nil, nil
	}
	p.digestsOnce.Do(func() {
		if p.Digests == nil {
			p.Digests = NewDigestCache(0)
		}
	})
	cache := p.Digests
	sum, claim := cache.whole(id)
	if claim {
		hash = func(ctx context.Context) {
			s, err := hashWhole(ctx, obj, obj.Size())
			if err != nil {
				logger(p.Logger).Debug("hashing an object", "err", err)
			}
			cache.setWhole(id, s)
		}
	}
	return cachedContent{obj: obj, start: start, cache: cache, id: id}, sum, hash
}
