package fileserve

import (
	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

// StreamWindow is the receive window a client of this protocol grants each
// stream from the start. A primary hands out pieces up to half of it past
// the lowest missing byte (Primary.Window), so that no path ever blocks on
// flow control while the bytes that would unblock it wait behind it.
//
// A client left with KWIK's defaults starts at 512 KiB and grows its window
// only when the reader drains it within a few round trips, which a
// low-latency path at tens of Mbit/s never does; Spread, assuming 16 MiB,
// then hands out pieces the paths cannot write. Half of 32 MiB also keeps
// Spread from duplicating pieces it believes blocked by the window: with
// 10, 50 and 100 Mbit/s paths a 16 MiB client window (8 MiB handed out)
// duplicated 5% of the object and reached 0.87 of the paths' sum, this one
// reaches 0.96.
const StreamWindow = 32 << 20

// ClientConfig returns c (or a new Config when c is nil) with the receive
// side set up for this protocol: every stream starts with StreamWindow.
func ClientConfig(c *kwik.Config) *kwik.Config {
	var conf kwik.Config
	if c != nil {
		conf = *c
	}
	conf.InitialStreamReceiveWindow = max(conf.InitialStreamReceiveWindow, StreamWindow)
	conf.MaxStreamReceiveWindow = max(conf.MaxStreamReceiveWindow, StreamWindow)
	sessionWindow := conf.SessionReceiveWindow
	if sessionWindow == 0 {
		sessionWindow = presentation.DefaultSessionWindow
	}
	conf.SessionReceiveWindow = max(sessionWindow, conf.MaxStreamReceiveWindow+conf.MaxStreamReceiveWindow/2)
	return &conf
}
