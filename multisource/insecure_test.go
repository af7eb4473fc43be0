package multisource_test

import (
	"bytes"
	"crypto/sha256"
	"sync"
	"testing"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/multisource"
)

// TestSpreadSkipAssign is verification off, as bench/netns.sh measures it:
// a primary that assigns nothing (Config.InsecureSkipAssign) and a client
// that accepts unassigned bytes. The object arrives whole and the
// secondary's bytes count, so they were taken without any assignment.
func TestSpreadSkipAssign(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	const size = 2 << 20
	object := payload(7, size)
	conf := &kwik.Config{ServerGroupKey: groupKey, MaxIdleTimeout: healthyIdle}
	primary, secondary := listen(t, conf), listen(t, conf)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := serveObject(ctx, secondary, object); err != nil && ctx.Err() == nil {
			t.Logf("secondary: %v", err)
		}
	})
	served := make(chan map[uint64]uint64, 1)
	wg.Go(func() {
		defer close(served)
		sess, str, _, err := acceptWithPaths(ctx, primary, testPin, secondary.Addr().String())
		if err != nil {
			t.Errorf("primary: %v", err)
			return
		}
		defer sess.CloseWithError(0, "")
		err = multisource.Spread(ctx, sess, str, "object", bytes.NewReader(object), size, &multisource.Config{InsecureSkipAssign: true})
		if err == nil {
			err = str.CloseWithSize(size)
		}
		if err != nil {
			t.Errorf("spread: %v", err)
			return
		}
		counts, _ := sess.Deliveries(uint64(str.StreamID()))
		served <- counts
		<-sess.Context().Done() // the client closes once it has read everything
	})
	client, err := kwik.Dial(ctx, primary.Addr().String(), testTLS.Client,
		&kwik.Config{MaxIdleTimeout: healthyIdle, InsecureAcceptUnassignedData: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		client.CloseWithError(0, "")
		wg.Wait()
	})
	sum, n, err := fetch(ctx, client, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n != size || sum != sha256.Sum256(object) {
		t.Fatalf("read %d of %d bytes; SHA-256 matches: %v", n, size, sum == sha256.Sum256(object))
	}
	counts := <-served
	var fromSecondaries uint64
	for id, c := range counts {
		if id != 0 {
			fromSecondaries += c
		}
	}
	if fromSecondaries == 0 {
		t.Fatalf("the secondary delivered nothing (counts %v): unassigned bytes were not taken", counts)
	}
}
