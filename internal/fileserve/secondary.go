package fileserve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/multisource"
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
	err := multisource.ServeRanges(ctx, sess, func(key string) (io.ReaderAt, error) {
		return openKey(s.Store, key)
	})
	if err != nil && ctx.Err() == nil && sess.Err() == nil && !errors.Is(err, context.Canceled) {
		logger(s.Logger).Warn("serving ranges", "client", sess.RemoteAddr().String(), "err", err)
	}
	code, msg := closeReason(ctx)
	sess.CloseWithError(code, msg)
}

// objectKey is what a primary calls the part of an object from start on
// when it asks its secondaries for ranges of it: the name, and the start
// after a NUL (which no name contains) when it is not zero.
func objectKey(name string, start int64) string {
	if start == 0 {
		return name
	}
	return name + "\x00" + strconv.FormatInt(start, 10)
}

// openKey opens what objectKey named: the ranges a secondary is asked for
// count from the start.
func openKey(store Store, key string) (io.ReaderAt, error) {
	name, startText, resumed := strings.Cut(key, "\x00")
	obj, err := store.Open(name)
	if err != nil || !resumed {
		return obj, err
	}
	start, err := parseOffset([]byte(startText))
	if err != nil || start > obj.Size() {
		obj.Close()
		return nil, fmt.Errorf("%w: range key for %q with start %q", ErrBadRequest, name, startText)
	}
	return sectionObject{io.NewSectionReader(obj, start, obj.Size()-start), obj}, nil
}

// sectionObject is the part of an object a resumed transfer sends.
type sectionObject struct {
	*io.SectionReader
	io.Closer
}
