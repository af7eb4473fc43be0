package integrationtests

import (
	"reflect"
	"slices"
	"testing"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik"
)

// TestStreamMethods: an application's Stream has quic-go's stream methods
// that KWIK supports, plus KWIK's documented WriteAt and CloseWithSize, and
// nothing that reaches the session's side (credit, resets, shutdown).
func TestStreamMethods(t *testing.T) {
	methods := func(v any) []string {
		typ := reflect.TypeOf(v)
		var names []string
		for i := range typ.NumMethod() {
			names = append(names, typ.Method(i).Name)
		}
		return names
	}
	kwikOnly := []string{"CloseWithSize", "WriteAt"}
	got := methods((*kwik.Stream)(nil))
	want := []string{"CancelRead", "CancelWrite", "Close", "CloseWithSize", "Context", "Read",
		"SetDeadline", "SetReadDeadline", "SetWriteDeadline", "StreamID", "Write", "WriteAt"}
	if !slices.Equal(got, want) {
		t.Fatalf("*kwik.Stream has methods %v, want %v", got, want)
	}
	quicGo := methods((*quic.Stream)(nil))
	for _, m := range got {
		if !slices.Contains(quicGo, m) && !slices.Contains(kwikOnly, m) {
			t.Errorf("*kwik.Stream.%s is neither quic-go's nor a documented KWIK addition", m)
		}
	}
}
