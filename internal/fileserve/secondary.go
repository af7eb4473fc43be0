package fileserve

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/kwik-transport/kwik"
)

// Secondary answers the range requests a primary relays to a secondary
// server's sessions.
type Secondary struct {
	// Store holds the same objects, under the same names, as the primary's.
	Store Store
	// Logger receives warnings and debug records; nil discards them.
	Logger *slog.Logger
}

// ServeSession serves sess, a secondary session (one path of a client's
// session), until it ends or ctx does, then closes it.
func (s *Secondary) ServeSession(ctx context.Context, sess *kwik.Session) {
	defer closeOnShutdown(ctx, sess)()
	err := kwik.ServeRanges(ctx, sess, func(name string) (io.ReaderAt, error) {
		return s.Store.Open(name)
	})
	if err != nil && ctx.Err() == nil && sess.Err() == nil && !errors.Is(err, context.Canceled) {
		logger(s.Logger).Warn("serving ranges", "client", sess.RemoteAddr().String(), "err", err)
	}
	code, msg := closeReason(ctx)
	sess.CloseWithError(code, msg)
}
