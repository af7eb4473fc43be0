package kwik

import (
	"context"
	"testing"

	"github.com/kwik-transport/kwik/internal/stream"
	"github.com/kwik-transport/kwik/internal/streamctl"
	"github.com/kwik-transport/kwik/internal/wire"
)

type frames []wire.Frame

func (f *frames) Send(fr wire.Frame) error { *f = append(*f, fr); return nil }

// TestStreamCredit: Spread, in a package of its own, reaches the credit of
// the *Stream an application hands it through internal/streamctl, and sees
// the credit its session raises.
func TestStreamCredit(t *testing.T) {
	var ctrl frames
	str, ctl := stream.New(context.Background(), stream.Config{ID: 4, Control: &ctrl, InitialLimit: 10})
	defer ctl.Shutdown(context.Canceled)
	s, _ := wrapStream(str, nil)
	credit := streamctl.Of(s)
	if limit := credit.SendLimit(); limit != 10 {
		t.Fatalf("SendLimit = %d, want 10", limit)
	}
	ctl.UpdateLimit(20)
	if limit := credit.SendLimit(); limit != 20 {
		t.Fatalf("SendLimit = %d after the session raised it to 20", limit)
	}
	credit.DataBlocked()
	if b, ok := ctrl[0].(*wire.StreamDataBlocked); len(ctrl) != 1 || !ok || b.Limit != 20 {
		t.Fatalf("DataBlocked sent %v, want STREAM_DATA_BLOCKED at 20", ctrl)
	}
}

// TestStreamCreditOfOther: anything but a stream is a bug in KWIK, said as
// such.
func TestStreamCreditOfOther(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("streamctl.Of accepted a *Session")
		}
	}()
	streamctl.Of(&Session{})
}
