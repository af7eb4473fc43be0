package fileserve

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/certs"
	"github.com/kwik-transport/kwik/pkg/emulator"
)

// shutdownBound is how soon after its context ends Serve must return,
// whatever its clients do: `kwik serve` promises to exit within 2 s of a
// signal.
const shutdownBound = 2 * time.Second

// TestServeReturnsPromptlyWhenAClientStopsReading starts a transfer to a
// client that stops reading: first one whose KWIK window fills, then one
// whose packets stop arriving (its QUIC lanes and acknowledgements stall,
// so the primary's writes block inside QUIC), and stops the server.
func TestServeReturnsPromptlyWhenAClientStopsReading(t *testing.T) {
	t.Run("window full", func(t *testing.T) { testPromptShutdown(t, false) })
	t.Run("lanes stalled", func(t *testing.T) { testPromptShutdown(t, true) })
}

func testPromptShutdown(t *testing.T, stall bool) {
	ctx := testContext(t)
	pair, err := certs.NewPair()
	if err != nil {
		t.Fatal(err)
	}
	// An idle timeout far above the bound: the server must not wait for
	// the client's path to die.
	conf := &kwik.Config{MaxIdleTimeout: time.Minute}
	ln, err := kwik.Listen("127.0.0.1:0", pair.Server, conf)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// With lanes to stall, the link is a bottleneck with a deep queue: the
	// primary must still have credit when the link dies, however slowly
	// this goroutine runs (an unlimited loopback link fills KWIK's window
	// before a starved reader takes 1 MiB, and then nothing more is sent),
	// and the queue it keeps full holds enough packets for the kill to
	// drop.
	var shape emulator.LinkConfig
	if stall {
		shape = emulator.LinkConfig{Rate: 100e6, QueueBytes: 1 << 20}
	}
	link, err := emulator.Listen(ctx, "127.0.0.1:0", ln.Addr().String(), shape)
	if err != nil {
		t.Fatal(err)
	}
	defer link.Close()
	started := make(chan Transfer, 1)
	srv := &Server{Primary: &Primary{
		Store:      MemStore{"big": make([]byte, 64<<20)},
		OnTransfer: func(tr Transfer) { started <- tr },
	}}
	srvCtx, stop := context.WithCancel(ctx)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(srvCtx, ln) }()

	// KWIK's default client window (512 KiB) is far below the object.
	clientConf := &kwik.Config{MaxIdleTimeout: 2 * time.Second}
	if stall {
		clientConf = ClientConfig(clientConf) // the primary's writes get ahead of QUIC
	}
	sess, err := kwik.Dial(ctx, link.Addr().String(), pair.Client, clientConf)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.CloseWithError(0, "")
	dl, err := Get(ctx, sess, "big")
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Close()
	<-started
	// The bytes flow, then the window fills or the link goes silent.
	if _, err := io.ReadFull(dl, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	if stall {
		link.Kill()
		// Wait until the link has dropped something of the primary's: it
		// was sending when the link died. How far it gets before its
		// writes block inside QUIC depends on how much work Spread had
		// handed it (it hands out more only as delivery reports come,
		// and none come now), so no larger count can be waited for.
		for link.Stats().Down.KillDrops == 0 {
			select {
			case <-ctx.Done():
				t.Fatalf("the primary sent only %d packets after the link died", link.Stats().Down.KillDrops)
			case <-time.After(time.Millisecond):
			}
		}
	}

	begin := time.Now()
	stop()
	select {
	case <-served:
	case <-ctx.Done():
		t.Fatalf("Serve still running %v after its context ended, with a client that stopped reading", time.Since(begin))
	}
	if took := time.Since(begin); took > shutdownBound {
		t.Errorf("Serve returned %v after its context ended; want at most %v", took, shutdownBound)
	}
	t.Logf("Serve returned %v after its context ended", time.Since(begin))
}

// TestDirStoreRefusesFIFO opens a FIFO under the root with no writer: an
// open that waited for one would never return.
func TestDirStoreRefusesFIFO(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no FIFOs")
	}
	root := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Skipf("cannot make a FIFO: %v", err)
	}
	if err := os.Symlink("fifo", filepath.Join(root, "link-to-fifo")); err != nil {
		t.Fatal(err)
	}
	store, err := OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, name := range []string{"fifo", "link-to-fifo"} {
		res := make(chan error, 1)
		var wg sync.WaitGroup
		wg.Go(func() {
			obj, err := store.Open(name)
			if err == nil {
				obj.Close()
			}
			res <- err
		})
		select {
		case err := <-res:
			if !errors.Is(err, ErrForbidden) {
				t.Errorf("Open(%q) of a FIFO = %v; want ErrForbidden", name, err)
			}
		case <-time.After(10 * time.Second):
			// Unblock the open so that the goroutine ends.
			if w, err := os.OpenFile(filepath.Join(root, "fifo"), os.O_WRONLY, 0); err == nil {
				w.Close()
			}
			t.Errorf("Open(%q) of a FIFO with no writer blocked for 10 s", name)
		}
		wg.Wait()
	}
}
