package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/kwik-transport/kwik/internal/session"
)

// pathWarner is get's log handler: it passes records on to the handler
// below at that handler's level, and prints one warning line, at once, for
// each secondary the client could not add (refused, unreachable, wrong
// key), which the client session logs at INFO. Without it a user learns of
// a missing secondary only from the final table, if at all.
type pathWarner struct {
	next  slog.Handler
	state *warnState // shared by the handlers With derives
}

type warnState struct {
	mu     sync.Mutex
	w      io.Writer
	warned map[string]bool // by address
}

func newPathWarner(w io.Writer, next slog.Handler) *pathWarner {
	return &pathWarner{next: next, state: &warnState{w: w, warned: make(map[string]bool)}}
}

func (h *pathWarner) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || h.next.Enabled(ctx, l)
}

func (h *pathWarner) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == session.LogPathFailed || r.Message == session.LogPathRefused {
		h.warn(r)
	}
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *pathWarner) WithAttrs(as []slog.Attr) slog.Handler {
	return &pathWarner{next: h.next.WithAttrs(as), state: h.state}
}

func (h *pathWarner) WithGroup(name string) slog.Handler {
	return &pathWarner{next: h.next.WithGroup(name), state: h.state}
}

// warn prints the record's secondary and why, once per secondary.
func (h *pathWarner) warn(r slog.Record) {
	var addr, why string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "addr":
			addr = a.Value.String()
		case "reason", "err":
			why = a.Value.String()
		}
		return true
	})
	s := h.state
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.warned[addr] {
		return
	}
	s.warned[addr] = true
	fmt.Fprintf(s.w, "warning: secondary %s could not be added, downloading without it: %s\n", addr, pathFailure(why))
}

// pathFailure says in a user's words why the client could not open a path
// to a secondary, from the error text (it comes from the secondary or the
// network, so its text is all there is), on one line.
func pathFailure(msg string) string {
	line, _, _ := strings.Cut(msg, "\n")
	switch {
	case strings.Contains(msg, "path token is not valid"):
		return "it refused the primary's token (their group keys differ): " + line
	case strings.Contains(msg, "no recent network activity"), strings.Contains(msg, "timeout"), strings.Contains(msg, "deadline exceeded"):
		return "it did not answer (is it running, and reachable from here?): " + line
	case strings.Contains(msg, "pin") && strings.Contains(msg, "does not match"):
		return "its public key does not match the pin the primary has for it: " + line
	case strings.Contains(msg, "refused"):
		return line + " (see --allow-secondary)"
	}
	return line
}
