package control

import (
	"context"
	"errors"
	"fmt"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/wire"
)

// HandshakeError says why a path's handshake failed. Remote is true when the
// peer refused (the reason is theirs), false when this side did.
type HandshakeError struct {
	Code   wire.ErrorCode
	Reason string
	Remote bool
}

func (e *HandshakeError) Error() string {
	who := "local"
	if e.Remote {
		who = "peer"
	}
	return fmt.Sprintf("kwik: handshake refused by %s (%v): %s", who, e.Code, e.Reason)
}

// ClientHandshake sends hello and waits for the server's answer.
func ClientHandshake(ctx context.Context, ch *Channel, hello *wire.ClientHello) (*wire.ServerHello, error) {
	if err := ch.WriteFrame(ctx, hello); err != nil {
		return nil, fmt.Errorf("kwik: sending the handshake: %w", err)
	}
	f, err := ch.ReadFrame(ctx)
	var werr *wire.Error
	if errors.As(err, &werr) {
		return nil, &HandshakeError{Code: wire.ProtocolViolation, Reason: "malformed handshake answer: " + werr.Error()}
	}
	var appErr *quic.ApplicationError
	if errors.As(err, &appErr) && appErr.Remote && appErr.ErrorCode < quic.ApplicationErrorCode(wire.ApplicationCodeBase) {
		// The server refused and closed the connection; its CLOSE frame may
		// not have made it, but the connection close carries the same.
		return nil, &HandshakeError{Code: wire.ErrorCode(appErr.ErrorCode), Reason: appErr.ErrorMessage, Remote: true}
	}
	if err != nil {
		return nil, fmt.Errorf("kwik: reading the server's handshake: %w", err)
	}
	switch f := f.(type) {
	case *wire.ServerHello:
		if f.Version != wire.Version {
			return nil, &HandshakeError{Code: wire.VersionMismatch, Reason: versionReason(wire.Version, f.Version)}
		}
		return f, nil
	case *wire.Close:
		return nil, &HandshakeError{Code: wire.ErrorCode(f.ErrorCode), Reason: f.Reason, Remote: true}
	default:
		return nil, &HandshakeError{Code: wire.ProtocolViolation, Reason: fmt.Sprintf("server answered the handshake with %v", f.Type())}
	}
}

// ServerHandshake reads the client's hello and answers with accept's
// ServerHello, or refuses with a CLOSE frame carrying accept's error. An error
// of type *HandshakeError from accept sets the code; any other is Refused.
func ServerHandshake(ctx context.Context, ch *Channel, accept func(*wire.ClientHello) (*wire.ServerHello, error)) (*wire.ClientHello, *wire.ServerHello, error) {
	f, err := ch.ReadFrame(ctx)
	var werr *wire.Error
	if errors.As(err, &werr) {
		herr := &HandshakeError{Code: wire.ProtocolViolation, Reason: "malformed handshake: " + werr.Error()}
		return nil, nil, refuse(ctx, ch, herr)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		herr := &HandshakeError{Code: wire.IdleTimeout, Reason: "no complete CLIENT_HELLO before the handshake timeout"}
		return nil, nil, refuse(ctx, ch, herr)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("kwik: reading the client's handshake: %w", err)
	}
	hello, ok := f.(*wire.ClientHello)
	if !ok {
		herr := &HandshakeError{Code: wire.ProtocolViolation, Reason: fmt.Sprintf("expected CLIENT_HELLO, got %v", f.Type())}
		return nil, nil, refuse(ctx, ch, herr)
	}
	if hello.Version != wire.Version {
		herr := &HandshakeError{Code: wire.VersionMismatch, Reason: versionReason(hello.Version, wire.Version)}
		return hello, nil, refuse(ctx, ch, herr)
	}
	reply, err := accept(hello)
	if err != nil {
		var herr *HandshakeError
		if !errors.As(err, &herr) {
			herr = &HandshakeError{Code: wire.Refused, Reason: err.Error()}
		}
		return hello, nil, refuse(ctx, ch, herr)
	}
	reply.Version = wire.Version
	if err := ch.WriteFrame(ctx, reply); err != nil {
		return hello, nil, fmt.Errorf("kwik: answering the handshake: %w", err)
	}
	return hello, reply, nil
}

// refuse tells the peer why, then returns the error for this side.
func refuse(ctx context.Context, ch *Channel, herr *HandshakeError) error {
	ch.WriteFrame(ctx, &wire.Close{ErrorCode: herr.Code, Reason: TruncateReason(herr.Reason)})
	return herr
}

func versionReason(client, server uint64) string {
	return fmt.Sprintf("client speaks kwik/%d, server speaks kwik/%d; upgrade the older side", client, server)
}

// MaxReasonLen is the longest reason string a frame carries.
const MaxReasonLen = 1024

// TruncateReason shortens s to fit a frame's reason field.
func TruncateReason(s string) string {
	if len(s) <= MaxReasonLen {
		return s
	}
	return s[:MaxReasonLen-3] + "..."
}
