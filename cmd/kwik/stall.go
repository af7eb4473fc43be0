package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/kwik-transport/kwik/internal/fileserve"
)

// stallGuard reads a download and fails if no byte arrives for too long:
// a transfer that stops making progress on healthy paths is a bug that
// should end with an error, not hang.
type stallGuard struct {
	dl    *fileserve.Download
	limit time.Duration // 0 disables the guard
}

func (g stallGuard) Read(p []byte) (int, error) {
	if g.limit > 0 {
		g.dl.SetReadDeadline(time.Now().Add(g.limit))
	}
	n, err := g.dl.Read(p)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		return n, &stallError{limit: g.limit}
	}
	return n, err
}

// stallError says that a transfer stopped making progress.
type stallError struct{ limit time.Duration }

func (e *stallError) Error() string {
	return fmt.Sprintf("no byte arrived for %v: the transfer is stuck; rerun with --verbose and report the log", e.limit)
}

func (e *stallError) Unwrap() error { return os.ErrDeadlineExceeded }
