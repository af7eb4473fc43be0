package bench

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/multisource"
)

// Primary is the benchmark's primary server. Every session it accepts gets
// each secondary as a path first; then every stream the client opens is
// answered with the object its Request names.
type Primary struct {
	// Secondaries are the addresses of the secondary servers, as the client
	// reaches them.
	Secondaries []string
	// Pin is the public-key pin of the secondaries' certificate (they share
	// one): with it the client accepts exactly that key, and the path is
	// bound to the key rather than to an address a relay may stand for.
	// Nil: the client verifies them by name.
	Pin []byte
	// Spread tunes multisource.Spread; nil means its defaults.
	Spread *multisource.Config
	// Logger receives failures of single sessions and streams; nil
	// discards them.
	Logger *slog.Logger
}

// Serve answers the sessions ln accepts until ctx ends or ln is closed, then
// closes them and returns once every one has stopped.
func (p *Primary) Serve(ctx context.Context, ln *kwik.Listener) error {
	log := logger(p.Logger)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		sess, err := ln.Accept(ctx)
		if err != nil {
			return acceptErr(ctx, err)
		}
		if sess.Role() != kwik.RolePrimary {
			log.Warn("refusing a path join: this server is a primary only")
			sess.CloseWithError(1, "not a secondary server")
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.serveSession(ctx, sess, log)
		}()
	}
}

func (p *Primary) serveSession(ctx context.Context, sess *kwik.Session, log *slog.Logger) {
	defer sess.CloseWithError(0, "")
	stop := context.AfterFunc(ctx, func() { sess.CloseWithError(0, "server stopping") })
	defer stop()
	for _, addr := range p.Secondaries {
		if _, err := sess.AddPath(ctx, addr, p.Pin); err != nil {
			log.Warn("adding a secondary path", "addr", addr, "err", err)
		}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		str, err := sess.AcceptStream(ctx)
		if err != nil {
			return // the client closed the session, or ctx ended
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.serveStream(ctx, sess, str); err != nil {
				log.Warn("serving a stream", "stream", str.StreamID(), "err", err)
				str.CancelWrite(1)
			}
		}()
	}
}

func (p *Primary) serveStream(ctx context.Context, sess *kwik.Session, str *kwik.Stream) error {
	b, err := io.ReadAll(io.LimitReader(str, maxRequestLen+1))
	if err != nil {
		return err
	}
	req, err := parseRequest(b)
	if err != nil {
		return err
	}
	obj := req.Object
	if req.Spread {
		if err := multisource.Spread(ctx, sess, str, obj.Name(), obj, obj.Size(), p.Spread); err != nil {
			return err
		}
		return str.CloseWithSize(obj.Size())
	}
	buf := make([]byte, 64<<10)
	if _, err := io.CopyBuffer(str, io.NewSectionReader(obj, 0, obj.Size()), buf); err != nil {
		return err
	}
	return str.Close()
}

// ServeSecondary answers the range requests the primary relays, from
// objects named by Object.Name, on every session ln accepts, until ctx ends
// or ln is closed; it returns once every session has stopped.
func ServeSecondary(ctx context.Context, ln *kwik.Listener, log *slog.Logger) error {
	log = logger(log)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		sess, err := ln.Accept(ctx)
		if err != nil {
			return acceptErr(ctx, err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer sess.CloseWithError(0, "")
			err := multisource.ServeRanges(ctx, sess, func(name string) (io.ReaderAt, error) {
				obj, err := ParseObjectName(name)
				if err != nil {
					return nil, err
				}
				return obj, nil
			})
			if err != nil && ctx.Err() == nil && sess.Err() == nil {
				log.Warn("serving ranges", "err", err)
			}
		}()
	}
}

// acceptErr turns the error that ends an accept loop into Serve's result:
// nil when the server was stopped on purpose.
func acceptErr(ctx context.Context, err error) error {
	if ctx.Err() != nil || errors.Is(err, kwik.ErrListenerClosed) {
		return nil
	}
	return err
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
