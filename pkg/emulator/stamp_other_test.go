//go:build !linux

package emulator

import (
	"net"
	"time"
)

// enableStamps is a no-op where kernel receive timestamps are not wired up;
// arrival times then include the reading goroutine's lateness.
func enableStamps(*net.UDPConn) error { return nil }

func stampOf([]byte) (time.Time, bool) { return time.Time{}, false }
