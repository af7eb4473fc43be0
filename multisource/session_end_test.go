package multisource_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/multisource"
)

// TestSpreadEndsWithTheSession closes the client's session while Spread
// waits for credit (the client reads one byte of a 4 MiB object through a
// 256 KiB window, then stops). Spread's own context never ends: it must
// return the session's error once the session is gone, not wait until
// someone cancels it.
func TestSpreadEndsWithTheSession(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	const size = 4 << 20
	object := payload(44, size)
	conf := &kwik.Config{ServerGroupKey: groupKey, MaxIdleTimeout: healthyIdle}
	primary, secondary := listen(t, conf), listen(t, conf)
	var wg sync.WaitGroup
	wg.Go(func() { serveObject(ctx, secondary, object) })

	spreadCtx, stopSpread := context.WithCancel(context.Background())
	defer stopSpread() // only if the test fails
	ended := make(chan error, 1)
	go func() {
		sess, str, _, err := acceptWithPaths(ctx, primary, testPin, secondary.Addr().String())
		if err != nil {
			ended <- err
			return
		}
		defer sess.CloseWithError(0, "")
		ended <- multisource.Spread(spreadCtx, sess, str, "object", bytes.NewReader(object), size, nil)
	}()

	client, err := kwik.Dial(ctx, primary.Addr().String(), testTLS.Client, &kwik.Config{MaxIdleTimeout: healthyIdle, InitialStreamReceiveWindow: 256 << 10, MaxStreamReceiveWindow: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		client.CloseWithError(0, "")
		wg.Wait()
	})
	str, err := client.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := str.Write([]byte("GET object")); err != nil {
		t.Fatal(err)
	}
	str.Close()
	if _, err := io.ReadFull(str, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	client.CloseWithError(7, "going away")

	select {
	case err := <-ended:
		var ae *kwik.ApplicationError
		if !errors.As(err, &ae) || ae.ErrorCode != 7 {
			t.Errorf("Spread after the client closed with code 7: %v; want that *kwik.ApplicationError", err)
		}
	case <-ctx.Done():
		stopSpread()
		t.Fatalf("Spread still running when the test timed out, its session closed by the client long before: %v", <-ended)
	}
}
