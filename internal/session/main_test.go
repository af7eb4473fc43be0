package session

import (
	"net"
	"testing"

	"github.com/kwik-transport/kwik/internal/leaktest"

	"github.com/kwik-transport/kwik/internal/control"
	"github.com/kwik-transport/kwik/internal/transport"
)

func TestMain(m *testing.M) {
	leaktest.VerifyTestMain(m)
}

// offlineSession returns a session of role with a primary path that has no
// connection: its control frames are queued, never sent. It is for the
// bookkeeping of streams and paths, not for I/O.
func offlineSession(t *testing.T, role Role, conf *Config) *Session {
	t.Helper()
	c, err := conf.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSession(role, c, control.NewSessionID())
	if err != nil {
		t.Fatal(err)
	}
	local, peer := net.Pipe()
	s.primary = transport.NewPath(0, "primary:1", true, nil, control.NewChannel(local, 0), 1)
	t.Cleanup(func() {
		s.cancel(nil)
		if s.dpm != nil {
			s.dpm.Close()
		}
		local.Close()
		peer.Close()
	})
	return s
}
