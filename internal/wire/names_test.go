package wire

import (
	"math"
	"testing"
)

func TestErrorCodes(t *testing.T) {
	tests := []struct {
		code  ErrorCode
		name  string
		app   uint64
		isApp bool
	}{
		{NoError, "NO_ERROR", 0, false},
		{InternalError, "INTERNAL_ERROR", 0, false},
		{ProtocolViolation, "PROTOCOL_VIOLATION", 0, false},
		{VersionMismatch, "VERSION_MISMATCH", 0, false},
		{Refused, "REFUSED", 0, false},
		{FlowControlError, "FLOW_CONTROL_ERROR", 0, false},
		{IdleTimeout, "IDLE_TIMEOUT", 0, false},
		{0xff, "ERROR_CODE(0xff)", 0, false},
		{0x100, "APPLICATION_ERROR(0)", 0, true},
		{ApplicationCode(42), "APPLICATION_ERROR(42)", 42, true},
		{ApplicationCode(MaxApplicationCode), "APPLICATION_ERROR(4611686018427387647)", MaxApplicationCode, true},
	}
	for _, tc := range tests {
		if got := tc.code.String(); got != tc.name {
			t.Errorf("ErrorCode(%d).String() = %q, want %q", uint64(tc.code), got, tc.name)
		}
		app, ok := tc.code.Application()
		if app != tc.app || ok != tc.isApp {
			t.Errorf("ErrorCode(%d).Application() = %d, %v; want %d, %v", uint64(tc.code), app, ok, tc.app, tc.isApp)
		}
	}
	if got := ApplicationCode(5); got != 0x105 {
		t.Errorf("ApplicationCode(5) = %#x, want 0x105", uint64(got))
	}
	for _, c := range []uint64{MaxApplicationCode + 1, math.MaxUint64} {
		if _, err := (&Close{ErrorCode: ApplicationCode(c)}).Append(nil); err == nil {
			t.Errorf("ApplicationCode(%d) was encodable; it must not wrap around into KWIK's codes", c)
		}
	}
}

func TestNames(t *testing.T) {
	tests := []struct{ got, want string }{
		{FrameClientHello.String(), "CLIENT_HELLO"},
		{FrameMissingRanges.String(), "MISSING_RANGES"},
		{FrameStreamFin.String(), "STREAM_FIN"},
		{FrameType(0x99).String(), "FrameType(0x99)"},
		{RolePrimary.String(), "primary"},
		{RoleSecondary.String(), "secondary"},
		{Role(7).String(), "Role(7)"},
		{PathActive.String(), "active"},
		{PathDegraded.String(), "degraded"},
		{PathDead.String(), "dead"},
		{PathRemoved.String(), "removed"},
		{PathFailed.String(), "failed"},
		{PathState(0).String(), "PathState(0)"},
		{FramePieceFailed.String(), "PIECE_FAILED"},
		{PieceCorrupt.String(), "corrupt"},
		{PieceRefused.String(), "refused"},
		{PieceFailure(9).String(), "PieceFailure(9)"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	if len(frameNames) != 24 {
		t.Errorf("%d frame names, want 24 (22 control frames and two STREAM types)", len(frameNames))
	}
}
