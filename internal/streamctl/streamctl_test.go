package streamctl_test

import (
	"context"
	"testing"

	"github.com/kwik-transport/kwik/internal/stream"
	"github.com/kwik-transport/kwik/internal/streamctl"
	"github.com/kwik-transport/kwik/internal/wire"
)

type control []wire.Frame

func (c *control) Send(f wire.Frame) error { *c = append(*c, f); return nil }

// TestOf: the credit of a stream, as Spread sees it, is the one its session
// raises.
func TestOf(t *testing.T) {
	var ctrl control
	str, ctl := stream.New(context.Background(), stream.Config{ID: 4, Control: &ctrl, InitialLimit: 10})
	defer ctl.Shutdown(context.Canceled)
	credit := streamctl.Of(str)
	if limit := credit.SendLimit(); limit != 10 {
		t.Fatalf("SendLimit = %d, want 10", limit)
	}
	if !ctl.UpdateLimit(20) {
		t.Fatal("UpdateLimit(20) from 10 did not report a raise")
	}
	if limit := credit.SendLimit(); limit != 20 {
		t.Fatalf("SendLimit = %d after the session raised it to 20", limit)
	}
	credit.DataBlocked()
	if b, ok := ctrl[0].(*wire.StreamDataBlocked); len(ctrl) != 1 || !ok || b.Limit != 20 {
		t.Fatalf("DataBlocked sent %v, want STREAM_DATA_BLOCKED at 20", ctrl)
	}
}
