package session

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/wire"
)

// TestPathErrorBeforeConnContext: quic-go fails a connection's streams with
// the peer's CONNECTION_CLOSE before it cancels the connection's context,
// so a path's reader may report the close first. The application's code
// must come out as the application's, not as the wire's code.
func TestPathErrorBeforeConnContext(t *testing.T) {
	open := context.Background() // the connection's context, not yet cancelled
	code, msg := closeCode(&quic.ApplicationError{ErrorCode: 42, ErrorMessage: "going away"})
	onWire := &quic.ApplicationError{ErrorCode: code, ErrorMessage: msg, Remote: true}
	for _, first := range []error{onWire, fmt.Errorf("kwik: reading the control stream: %w", onWire)} {
		var appErr *quic.ApplicationError
		if err := pathError(open, first); !errors.As(err, &appErr) || appErr.ErrorCode != 42 || !appErr.Remote || appErr.ErrorMessage != "going away" {
			t.Errorf("pathError(%v) = %v; want remote application error 42", first, err)
		}
	}
	// KWIK's own codes stay KWIK's.
	kwikClose := &quic.ApplicationError{ErrorCode: quic.ApplicationErrorCode(wire.ProtocolViolation), ErrorMessage: "bad frame", Remote: true}
	var cerr *ConnectionError
	if err := pathError(open, kwikClose); !errors.As(err, &cerr) || cerr.Code != wire.ProtocolViolation || !cerr.Remote {
		t.Errorf("pathError(%v) = %v; want a remote ConnectionError", kwikClose, err)
	}
}
