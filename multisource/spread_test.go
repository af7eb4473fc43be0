package multisource_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/multisource"
	"github.com/kwik-transport/kwik/pkg/emulator"
)

// TestSpreadUnequalPaths delivers an object over three emulated paths of
// unequal rates with Spread and ServeRanges, and checks every byte.
func TestSpreadUnequalPaths(t *testing.T) {
	testSpread(t, 6<<20, []int64{8e6, 16e6, 32e6}, 0)
}

// TestSpreadSecondaryDies cuts the fastest secondary a third of the way in,
// with the client's default windows: its pieces go to the other paths and
// nothing waits behind a write blocked on credit.
func TestSpreadSecondaryDies(t *testing.T) {
	testSpread(t, 6<<20, []int64{8e6, 16e6, 32e6}, 2<<20)
}

// testSpread runs Spread over a primary and secondaries behind links of the
// given rates (bits per second; the first is the primary's). With killAt >
// 0 the last link is cut once the client has read killAt bytes.
func testSpread(t *testing.T, size int, rates []int64, killAt int) {
	ctx := testContext(t, 60*time.Second)
	object := payload(42, size)
	conf := &kwik.Config{ServerGroupKey: groupKey, MaxIdleTimeout: healthyIdle}
	// Only the secondary that is cut has a short idle timeout: the others
	// must outlive a starved process. If it dies before the cut, that is
	// the same test.
	cutConf := &kwik.Config{ServerGroupKey: groupKey, MaxIdleTimeout: cutIdle, KeepAlivePeriod: cutKeepAlive}

	primary := listen(t, conf)
	primaryAddr := emulatedLink(t, ctx, primary, rates[0]).Addr().String()
	var wg sync.WaitGroup
	var secondaryAddrs []string
	var last *emulator.Link
	for i, rate := range rates[1:] {
		c := conf
		if killAt > 0 && i == len(rates)-2 {
			c = cutConf
		}
		ln := listen(t, c)
		last = emulatedLink(t, ctx, ln, rate)
		secondaryAddrs = append(secondaryAddrs, last.Addr().String())
		wg.Go(func() {
			if err := serveObject(ctx, ln, object); err != nil && ctx.Err() == nil {
				t.Logf("secondary: %v", err)
			}
		})
	}

	serveErr := make(chan error, 1)
	go func() {
		sess, str, _, err := acceptWithPaths(ctx, primary, testPin, secondaryAddrs...)
		if err != nil {
			serveErr <- err
			return
		}
		defer sess.CloseWithError(0, "")
		err = multisource.Spread(ctx, sess, str, "object", bytes.NewReader(object), int64(size), nil)
		if err == nil {
			err = str.CloseWithSize(int64(size))
		}
		if err == nil {
			counts, _ := sess.Deliveries(uint64(str.StreamID()))
			var goodput float64
			for _, p := range sess.AllPaths() {
				t.Logf("path %d (%s, %v): %d bytes, lately %.1f Mbit/s", p.ID, p.Address, p.State, counts[p.ID], p.Stats.Goodput*8/1e6)
				if counts[p.ID] == 0 && (killAt == 0 || p.Address != secondaryAddrs[len(secondaryAddrs)-1]) {
					t.Errorf("path %d delivered nothing", p.ID)
				}
				goodput += p.Stats.Goodput
			}
			if goodput == 0 { // the last bytes were reported just now
				t.Error("no path shows any goodput right after the transfer")
			}
		}
		serveErr <- err
		<-sess.Context().Done() // the client closes once it has read everything
	}()

	// A stream window far below the object keeps sources close to the
	// client's credit limit, where a blocked write could hold back others.
	client, err := kwik.Dial(ctx, primaryAddr, testTLS.Client, &kwik.Config{
		MaxIdleTimeout:         healthyIdle,
		MaxStreamReceiveWindow: 1 << 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		client.CloseWithError(0, "")
		wg.Wait()
	})
	start := time.Now()
	var kill func()
	if killAt > 0 {
		kill = last.Kill
	}
	sum, n, err := fetch(ctx, client, killAt, kill)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if n != size || sum != sha256.Sum256(object) {
		t.Fatalf("read %d bytes; SHA-256 matches: %v", n, sum == sha256.Sum256(object))
	}
	if err := <-serveErr; err != nil {
		t.Fatal(err)
	}
	client.CloseWithError(0, "")
	var total float64
	for _, r := range rates {
		total += float64(r)
	}
	t.Logf("goodput %.1f Mbit/s of %.0f Mbit/s (%.2f), setup included", float64(size*8)/elapsed.Seconds()/1e6, total/1e6, float64(size*8)/elapsed.Seconds()/total)
}

// TestRemovePathDrains removes the fastest secondary a third of the way in.
// The secondary writes every range it was already asked for and
// ServeRanges returns nil, the path ends as removed rather than dead on
// both sides, and the client still gets every byte.
func TestRemovePathDrains(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	const size = 6 << 20
	object := payload(43, size)
	conf := &kwik.Config{ServerGroupKey: groupKey}
	primary, secondary := listen(t, conf), listen(t, conf)
	primaryAddr := emulatedLink(t, ctx, primary, 8e6).Addr().String()
	secondaryAddr := emulatedLink(t, ctx, secondary, 32e6).Addr().String()

	served := make(chan error, 1)
	go func() { served <- serveObject(ctx, secondary, object) }()

	removeNow := make(chan struct{})
	serveErr := make(chan error, 1)
	primaryDone := make(chan struct{})
	var removed kwik.PathInfo
	go func() {
		defer close(primaryDone)
		sess, str, paths, err := acceptWithPaths(ctx, primary, testPin, secondaryAddr)
		if err != nil {
			serveErr <- err
			return
		}
		defer sess.CloseWithError(0, "")
		path := paths[0]
		spread := make(chan error, 1)
		go func() { spread <- multisource.Spread(ctx, sess, str, "object", bytes.NewReader(object), size, nil) }()
		select {
		case <-removeNow:
		case <-ctx.Done():
		}
		err = sess.RemovePath(path.ID)
		if err == nil {
			err = <-spread
		}
		if err == nil {
			err = str.CloseWithSize(size)
		}
		for _, p := range sess.AllPaths() {
			if p.ID == path.ID {
				removed = p
			}
		}
		serveErr <- err
		select { // the client closes once it has read everything
		case <-sess.Context().Done():
		case <-ctx.Done():
		}
	}()

	client, err := kwik.Dial(ctx, primaryAddr, testTLS.Client, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum, n, err := fetch(ctx, client, size/3, func() { close(removeNow) })
	if err != nil {
		t.Fatal(err)
	}
	if n != size || sum != sha256.Sum256(object) {
		t.Fatalf("read %d bytes; SHA-256 matches: %v", n, sum == sha256.Sum256(object))
	}
	if err := <-serveErr; err != nil {
		t.Fatal(err)
	}
	if removed.State != kwik.PathRemoved || removed.Err != nil {
		t.Errorf("primary sees the removed path as %v (%v), want removed", removed.State, removed.Err)
	}
	if err := <-served; err != nil {
		t.Fatalf("ServeRanges on the removed secondary: %v, want nil after draining", err)
	}
	// The client marked the path removed before telling the secondary.
	for _, p := range client.AllPaths() {
		if !p.Primary && p.State != kwik.PathRemoved {
			t.Errorf("client sees path %d as %v, want removed", p.ID, p.State)
		}
	}
	// Close while the links still carry the close to the primary.
	client.CloseWithError(0, "")
	<-primaryDone
}

// emulatedLink puts a link of rate bits per second and 5 ms of delay in
// front of ln; it closes when the test ends, after cleanups registered
// later (a client closing over it, say).
func emulatedLink(t *testing.T, ctx context.Context, ln *kwik.Listener, rate int64) *emulator.Link {
	t.Helper()
	l, err := emulator.Listen(ctx, "127.0.0.1:0", ln.Addr().String(), emulator.LinkConfig{Rate: rate, Delay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// serveObject accepts one secondary session on ln and serves object to it
// with ServeRanges until that returns, then closes the session.
func serveObject(ctx context.Context, ln *kwik.Listener, object []byte) error {
	sess, err := ln.Accept(ctx)
	if err != nil {
		return err
	}
	defer sess.CloseWithError(0, "")
	return multisource.ServeRanges(ctx, sess, func(string) (io.ReaderAt, error) { return bytes.NewReader(object), nil })
}

// acceptWithPaths accepts one client session on ln, reads its first
// stream's request to the end, and adds a path to each of the secondaries
// at addrs, checked against pin (nil: by CA). On an error the session is
// closed.
func acceptWithPaths(ctx context.Context, ln *kwik.Listener, pin []byte, addrs ...string) (*kwik.Session, *kwik.Stream, []kwik.PathInfo, error) {
	sess, err := ln.Accept(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	str, err := sess.AcceptStream(ctx)
	if err == nil {
		_, err = io.ReadAll(str)
	}
	paths := make([]kwik.PathInfo, len(addrs))
	for i := 0; i < len(addrs) && err == nil; i++ {
		if paths[i], err = sess.AddPath(ctx, addrs[i], pin); err != nil {
			err = fmt.Errorf("adding the secondary at %s: %w", addrs[i], err)
		}
	}
	if err != nil {
		sess.CloseWithError(0, "")
		return nil, nil, nil, err
	}
	return sess, str, paths, nil
}
