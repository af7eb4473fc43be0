package control

import (
	"context"
	"errors"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kwik-transport/kwik/internal/wire"
	"github.com/quic-go/quic-go/quicvarint"
)

// TestChannelBoundsAnIncompleteFrame: a peer may stay quiet between frames
// for as long as it likes, but a frame it began must be complete within the
// frame timeout, or Run ends with ErrFrameTimeout.
func TestChannelBoundsAnIncompleteFrame(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		local, peer := net.Pipe()
		defer local.Close()
		defer peer.Close()
		ch := NewChannel(local, 0)
		ch.SetFrameTimeout(3 * time.Second)
		got := make(chan wire.Frame, 8)
		done := runChannel(context.Background(), ch, func(f wire.Frame) error {
			got <- f
			return nil
		})

		peer.Write(encode(t, &wire.Ping{Seq: 1}))
		synctest.Wait()
		if len(got) != 1 {
			t.Fatalf("a whole PING was not handed over (%d frames)", len(got))
		}
		time.Sleep(time.Hour) // quiet between frames: fine
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("Run ended after an hour without frames: %v", err)
		default:
		}

		// A frame that arrives in pieces within the timeout is fine.
		whole := encode(t, &wire.Pong{Seq: 1 << 20})
		peer.Write(whole[:2])
		time.Sleep(2 * time.Second)
		peer.Write(whole[2:])
		synctest.Wait()
		if len(got) != 2 {
			t.Fatalf("a PONG in two pieces 2 s apart was not handed over (%d frames)", len(got))
		}

		// A DELIVERY_REPORT that declares 1000 bytes and sends 10.
		peer.Write(append(quicvarint.Append(quicvarint.Append(nil, uint64(wire.FrameDeliveryReport)), 1000), make([]byte, 10)...))
		start := time.Now()
		time.Sleep(3*time.Second - time.Millisecond)
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("Run ended %v into the incomplete frame, before the 3 s timeout: %v", time.Since(start), err)
		default:
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		select {
		case err := <-done:
			if !errors.Is(err, ErrFrameTimeout) {
				t.Fatalf("Run: %v, want ErrFrameTimeout", err)
			}
		default:
			t.Fatal("Run did not end 3 s into an incomplete frame")
		}
	})
}
