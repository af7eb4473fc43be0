// Package session implements KWIK sessions: the client's aggregate of paths
// to several servers, and the primary and secondary servers' view of one
// client. The module root re-exports it as the kwik API.
package session

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/qlogwriter"

	"github.com/kwik-transport/kwik/internal/control"
	"github.com/kwik-transport/kwik/internal/data"
	"github.com/kwik-transport/kwik/internal/stream"
	"github.com/kwik-transport/kwik/internal/wire"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

// Config is the internal form of kwik.Config, which documents every field
// and its zero-value default (the root converts one into the other in
// Dial and Listen): the fields here mean what the fields of the same names
// there say. Presentation carries the receive windows that kwik.Config has
// as plain fields; the defaults are applied by withDefaults below.
type Config struct {
	HandshakeTimeout time.Duration
	KeepAlivePeriod  time.Duration
	MaxIdleTimeout   time.Duration

	MaxIncomingStreams int
	LanesPerPath       int
	MaxFrameSize       int
	Presentation       *presentation.PresentationConfig

	ServerGroupKey               []byte
	ServerID                     string
	PathTokenTTL                 time.Duration
	ReportInterval               time.Duration
	SecondaryTLS                 *tls.Config
	MaxAssignments               int
	MaxUnverifiedBytes           int
	InsecureAcceptUnassignedData bool
	EventBuffer                  int

	MaxPaths  int
	AllowPath func(addr string, resolved netip.AddrPort) error

	MaxSessions         int
	MaxHandshakes       int
	MaxSessionsPerAddr  int
	VerifySourceAddress func(net.Addr) bool

	Tracer func(ctx context.Context, isClient bool, connID quic.ConnectionID) qlogwriter.Trace

	Logger *slog.Logger
}

// Defaults of the listener limits.
const (
	DefaultMaxSessions        = 256
	DefaultMaxHandshakes      = 256
	DefaultMaxSessionsPerAddr = 256
)

// withDefaults returns a copy of c with every zero field set, or an error
// naming the first invalid field.
func (c *Config) withDefaults() (*Config, error) {
	var out Config
	if c != nil {
		out = *c
	}
	setDefault(&out.HandshakeTimeout, 10*time.Second)
	setDefault(&out.KeepAlivePeriod, time.Second)
	setDefault(&out.MaxIdleTimeout, 5*time.Second)
	setDefault(&out.MaxIncomingStreams, 100)
	setDefault(&out.LanesPerPath, data.DefaultLanesPerPath)
	setDefault(&out.MaxFrameSize, stream.DefaultMaxFrameSize)
	setDefault(&out.PathTokenTTL, 30*time.Second)
	setDefault(&out.ReportInterval, 25*time.Millisecond)
	setDefault(&out.EventBuffer, 256)
	setDefault(&out.MaxPaths, 8)
	setDefault(&out.MaxSessions, DefaultMaxSessions)
	setDefault(&out.MaxHandshakes, DefaultMaxHandshakes)
	setDefault(&out.MaxSessionsPerAddr, DefaultMaxSessionsPerAddr)
	setDefault(&out.MaxAssignments, DefaultMaxAssignments)
	setDefault(&out.MaxUnverifiedBytes, DefaultMaxUnverified)
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	var errs []error
	check := func(ok bool, field string, value any, want string) {
		if !ok {
			errs = append(errs, &ConfigError{Field: field, Value: value, Want: want})
		}
	}
	check(out.HandshakeTimeout > 0, "HandshakeTimeout", out.HandshakeTimeout, "> 0")
	check(out.KeepAlivePeriod > 0, "KeepAlivePeriod", out.KeepAlivePeriod, "> 0")
	check(out.MaxIdleTimeout > 0, "MaxIdleTimeout", out.MaxIdleTimeout, "> 0")
	check(out.MaxIncomingStreams > 0, "MaxIncomingStreams", out.MaxIncomingStreams, "> 0")
	check(out.LanesPerPath > 0 && out.LanesPerPath <= maxLanesPerPath, "LanesPerPath", out.LanesPerPath, fmt.Sprint("1..", maxLanesPerPath))
	check(out.MaxFrameSize > 0 && out.MaxFrameSize <= wire.MaxStreamPayload, "MaxFrameSize", out.MaxFrameSize, fmt.Sprint("1..", wire.MaxStreamPayload))
	check(out.PathTokenTTL > 0, "PathTokenTTL", out.PathTokenTTL, "> 0")
	check(out.EventBuffer > 0, "EventBuffer", out.EventBuffer, "> 0")
	check(out.MaxPaths > 0, "MaxPaths", out.MaxPaths, "> 0")
	check(out.MaxAssignments > 0, "MaxAssignments", out.MaxAssignments, "> 0")
	check(out.MaxUnverifiedBytes > 0, "MaxUnverifiedBytes", out.MaxUnverifiedBytes, "> 0")
	if out.ServerGroupKey != nil {
		check(control.CheckGroupKey(out.ServerGroupKey) == nil, "ServerGroupKey", fmt.Sprintf("%d bytes", len(out.ServerGroupKey)),
			fmt.Sprintf("at least %d random bytes, the same on the primary and its secondaries", control.MinGroupKeySize))
	}
	if out.Presentation != nil {
		if err := out.Presentation.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("kwik: Config.Presentation: %w", err))
		}
	}
	return &out, errors.Join(errs...)
}

// maxLanesPerPath bounds Config.LanesPerPath.
const maxLanesPerPath = 64

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// initialStreamWindow is the credit this side promises every new stream
// before any MAX_STREAM_DATA: the presentation layer's minimum share.
func (c *Config) initialStreamWindow() uint64 {
	if c.Presentation != nil && c.Presentation.MinStreamWindow != 0 {
		return c.Presentation.MinStreamWindow
	}
	return presentation.DefaultMinStreamWindow
}

// frameTimeout bounds how long a peer may leave a control frame it began
// incomplete: twice the idle timeout is ample for any frame (at most 1 MiB)
// on a path that works, and short enough that a stalled frame does not hold
// its memory for long.
func (c *Config) frameTimeout() time.Duration { return 2 * c.MaxIdleTimeout }
