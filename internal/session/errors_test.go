package session

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/wire"
)

func TestCloseCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code quic.ApplicationErrorCode
		msg  string
	}{
		{nil, 0, ""},
		{&quic.ApplicationError{ErrorCode: 5, ErrorMessage: "bye"}, 0x105, "bye"},
		{&ConnectionError{Code: wire.FlowControlError, Reason: "too far"}, 5, "too far"},
		{fmt.Errorf("path 2: %w", &ConnectionError{Code: wire.ProtocolViolation, Reason: "bad frame"}), 2, "bad frame"},
		{errors.New("out of memory"), 1, "out of memory"},
		{&quic.ApplicationError{ErrorCode: 5, ErrorMessage: "bye", Remote: true}, 0x105, "bye"},
	} {
		code, msg := closeCode(tc.err)
		if code != tc.code || msg != tc.msg {
			t.Errorf("closeCode(%v) = %#x %q, want %#x %q", tc.err, code, msg, tc.code, tc.msg)
		}
	}
}

func TestFromQUIC(t *testing.T) {
	idle := &quic.IdleTimeoutError{}
	if got := fromQUIC(idle); got != idle {
		t.Fatalf("idle timeout became %v", got)
	}
	for _, tc := range []struct {
		in   *quic.ApplicationError
		want error
	}{
		{&quic.ApplicationError{ErrorCode: 0x107, ErrorMessage: "app", Remote: true}, &quic.ApplicationError{ErrorCode: 7, ErrorMessage: "app", Remote: true}},
		{&quic.ApplicationError{ErrorCode: 0, ErrorMessage: "done", Remote: true}, &quic.ApplicationError{ErrorCode: 0, ErrorMessage: "done", Remote: true}},
		{&quic.ApplicationError{ErrorCode: 5, ErrorMessage: "over", Remote: true}, &ConnectionError{Code: wire.FlowControlError, Reason: "over", Remote: true}},
		{&quic.ApplicationError{ErrorCode: 4, ErrorMessage: "bad token"}, &ConnectionError{Code: wire.Refused, Reason: "bad token"}},
	} {
		got := fromQUIC(tc.in)
		switch want := tc.want.(type) {
		case *quic.ApplicationError:
			if g, ok := got.(*quic.ApplicationError); !ok || *g != *want {
				t.Errorf("fromQUIC(%v) = %#v, want %#v", tc.in, got, want)
			}
		case *ConnectionError:
			if g, ok := got.(*ConnectionError); !ok || *g != *want {
				t.Errorf("fromQUIC(%v) = %#v, want %#v", tc.in, got, want)
			}
		}
	}
}

func TestCloseCodeRoundTrip(t *testing.T) {
	// What one side closes with is what the other side's session reports.
	for _, sent := range []error{
		&ConnectionError{Code: wire.ProtocolViolation, Reason: "STREAM for stream 2"},
		&quic.ApplicationError{ErrorCode: 42, ErrorMessage: "application says no"},
	} {
		code, msg := closeCode(sent)
		got := fromQUIC(&quic.ApplicationError{ErrorCode: code, ErrorMessage: msg, Remote: true})
		var cerr *ConnectionError
		var appErr *quic.ApplicationError
		switch want := sent.(type) {
		case *ConnectionError:
			if !errors.As(got, &cerr) || cerr.Code != want.Code || cerr.Reason != want.Reason || !cerr.Remote {
				t.Errorf("%v arrived as %v", sent, got)
			}
		case *quic.ApplicationError:
			if !errors.As(got, &appErr) || appErr.ErrorCode != want.ErrorCode || appErr.ErrorMessage != want.ErrorMessage || !appErr.Remote {
				t.Errorf("%v arrived as %v", sent, got)
			}
		}
	}
}

func TestConnectionErrorMessage(t *testing.T) {
	local := (&ConnectionError{Code: wire.Refused, Reason: "path token has expired"}).Error()
	remote := (&ConnectionError{Code: wire.Refused, Reason: "x", Remote: true}).Error()
	if !strings.Contains(local, "locally") || !strings.Contains(local, "REFUSED") || !strings.Contains(local, "expired") {
		t.Errorf("%q", local)
	}
	if !strings.Contains(remote, "by the peer") {
		t.Errorf("%q", remote)
	}
	for r, want := range map[Role]string{RoleClient: "client", RolePrimary: "primary", RoleSecondary: "secondary", Role(7): "Role(7)"} {
		if r.String() != want {
			t.Errorf("%d: %q", int(r), r.String())
		}
	}
}
