package integrationtests

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/pkg/emulator"
)

// groupKey is the server-group key of the test's primary and secondaries.
var groupKey = bytes.Repeat([]byte("k"), 32)

// rangeRequest is the raw-data message a test primary sends a secondary:
// "write bytes [off, off+n) of the object into the stream".
func rangeRequest(off, n uint64) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, off), n)
}

// runSecondary serves range requests from the object on every session ln
// accepts, until ctx ends.
func runSecondary(ctx context.Context, t *testing.T, ln *kwik.Listener, object []byte, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			sess, err := ln.Accept(ctx)
			if err != nil {
				return
			}
			if sess.Role() != kwik.RoleSecondary {
				t.Errorf("secondary accepted a %v session", sess.Role())
				sess.CloseWithError(1, "not a primary")
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer sess.CloseWithError(0, "")
				for {
					msg, err := sess.AcceptRawData(ctx)
					if err != nil {
						return
					}
					off := binary.BigEndian.Uint64(msg.Data)
					n := binary.BigEndian.Uint64(msg.Data[8:])
					w, err := sess.StreamWriter(msg.StreamID)
					if err != nil {
						t.Error(err)
						return
					}
					if _, err := w.WriteAt(object[off:off+n], int64(off)); err != nil {
						return // the path died or the session closed
					}
				}
			}()
		}
	}()
}

// multiSetup is a primary and two secondaries, the second behind a link the
// test can cut.
type multiSetup struct {
	primary    *kwik.Listener
	secondary  [2]*kwik.Listener
	link       *emulator.Link // in front of secondary[1]
	object     []byte
	wg         sync.WaitGroup
	clientConf *kwik.Config
}

// newMultiSetup starts the servers. With cut, secondary[1] has a short idle
// timeout, so that cutting its link is noticed quickly; every other path has
// a long one, since it must survive a starved process on a loaded machine.
func newMultiSetup(t *testing.T, ctx context.Context, size int, cut bool) *multiSetup {
	m := &multiSetup{
		object:     make([]byte, size),
		clientConf: &kwik.Config{MaxIdleTimeout: healthyIdle},
	}
	conf := &kwik.Config{ServerGroupKey: groupKey, MaxIdleTimeout: healthyIdle}
	rand.Read(m.object)
	m.primary = listen(t, conf)
	for i := range m.secondary {
		c := conf
		if cut && i == 1 {
			c = &kwik.Config{ServerGroupKey: groupKey, MaxIdleTimeout: cutIdle, KeepAlivePeriod: cutKeepAlive}
		}
		m.secondary[i] = listen(t, c)
		runSecondary(ctx, t, m.secondary[i], m.object, &m.wg)
	}
	link, err := emulator.Listen(ctx, "127.0.0.1:0", m.secondary[1].Addr().String(), emulator.LinkConfig{})
	if err != nil {
		t.Fatal(err)
	}
	m.link = link
	// The link closes last: the client's CONNECTION_CLOSE to secondary[1]
	// crosses it, and a link closed first dropped it now and then, so that
	// session ended only by idling out (healthyIdle: 30 s more per run).
	t.Cleanup(func() {
		for _, ln := range m.secondary {
			ln.Close()
		}
		m.wg.Wait()
		link.Close()
	})
	return m
}

// serve is the primary's application: it answers the client's stream with
// the object, spread in chunks over itself and both secondaries; when a
// secondary dies it re-sends the ranges the client is missing.
func (m *multiSetup) serve(ctx context.Context, sess *kwik.Session, chunk int) error {
	str, err := sess.AcceptStream(ctx)
	if err != nil {
		return err
	}
	if _, err := io.ReadAll(str); err != nil { // the request
		return err
	}
	var paths []uint64
	for _, addr := range []string{m.secondary[0].Addr().String(), m.link.Addr().String()} {
		info, err := sess.AddPath(ctx, addr, testPin)
		if err != nil {
			return err
		}
		paths = append(paths, info.ID)
	}
	id := uint64(str.StreamID())
	var owner []uint64 // chunk i is sent by path owner[i]
	var own []uint64
	for off, i := uint64(0), 0; off < uint64(len(m.object)); off, i = off+uint64(chunk), i+1 {
		n := min(uint64(chunk), uint64(len(m.object))-off)
		switch p := i % 3; p {
		case 0:
			own = append(own, off)
			owner = append(owner, 0)
		default:
			owner = append(owner, paths[p-1])
			// The client accepts the secondary's bytes only as a piece
			// the primary assigned, and the request comes after it.
			if err := sess.AssignRange(paths[p-1], id, off, m.object[off:off+n]); err != nil {
				return err
			}
			if err := sess.SendRawData(paths[p-1], id, rangeRequest(off, n)); err != nil {
				return err
			}
		}
	}
	errc := make(chan error, 2)
	go func() { // the primary's own chunks, then the end of the stream
		for _, off := range own {
			n := min(uint64(chunk), uint64(len(m.object))-off)
			if _, err := str.WriteAt(m.object[off:off+n], int64(off)); err != nil {
				errc <- err
				return
			}
		}
		errc <- str.CloseWithSize(int64(len(m.object)))
	}()
	go func() { // recovery: a dead secondary's missing chunks come from here
		for ev := range sess.Events() {
			pe, ok := ev.(kwik.PathEvent)
			if !ok || pe.Path.State != kwik.PathDead {
				continue
			}
			missing, err := sess.MissingRanges(ctx, id)
			if err != nil {
				errc <- err
				return
			}
			for i, p := range owner { // in offset order: the lowest gap blocks the reader
				off := uint64(i) * uint64(chunk)
				n := min(uint64(chunk), uint64(len(m.object))-off)
				if p == pe.Path.ID && overlapsMissing(missing, off, off+n) {
					if _, err := str.WriteAt(m.object[off:off+n], int64(off)); err != nil {
						errc <- err
						return
					}
				}
			}
		}
		errc <- nil
	}()
	return <-errc
}

// overlapsMissing reports whether [start, end) holds bytes the client lacks.
func overlapsMissing(m kwik.Missing, start, end uint64) bool {
	if end <= m.ReadOffset {
		return false
	}
	for _, r := range m.Ranges {
		if r.Start < end && start < r.End {
			return true
		}
	}
	// Above the last range the client knows of, everything is missing.
	last := m.ReadOffset
	if len(m.Ranges) > 0 {
		last = m.Ranges[len(m.Ranges)-1].End
	}
	return end > last
}

func testMultiServer(t *testing.T, kill bool) {
	// Larger than the session window (24 MiB) and the largest stream window
	// (16 MiB), so flow control is exercised, and small enough to stay well
	// inside the context on a loaded machine.
	const size, chunk = 32 << 20, 256 << 10
	ctx := testContext(t, 120*time.Second)
	m := newMultiSetup(t, ctx, size, kill)
	client, server := connect(t, m.primary, m.clientConf)

	serveErr := make(chan error, 1)
	go func() {
		err := m.serve(ctx, server, chunk)
		if err != nil {
			t.Logf("serve: %v", err)
		}
		serveErr <- err
	}()
	var killFn func()
	if kill {
		killFn = m.link.Kill
	}
	sum, n, err := fetch(ctx, client, size/4, killFn)
	if err != nil {
		t.Fatal(err)
	}
	if n != size || sum != sha256.Sum256(m.object) {
		t.Fatalf("client read %d bytes, SHA-256 mismatch=%v", n, sum != sha256.Sum256(m.object))
	}
	if err := <-serveErr; err != nil {
		t.Fatal(err)
	}
	if paths := server.AllPaths(); len(paths) != 3 {
		t.Fatalf("primary knows %d paths, want 3", len(paths))
	}
	if dead := server.DeadPaths(); kill && (len(dead) != 1 || dead[0].Address != m.link.Addr().String()) {
		t.Errorf("dead paths: %+v; want the one behind the cut link", dead)
	}
}

// The multi-server tests measure no resources and mostly wait on the
// network: they run in parallel with each other and the other such tests.

func TestMultiServerDelivery(t *testing.T) {
	t.Parallel()
	testMultiServer(t, false)
}

func TestMultiServerSecondaryDies(t *testing.T) {
	t.Parallel()
	testMultiServer(t, true)
}

// TestRemovePathClosesLingeringSecondary: a secondary told that its path
// was removed (AcceptRawData returns ErrPathRemoved) but which keeps its
// session open is closed by the client after MaxIdleTimeout. That timeout
// is every path's, and they must live through the set-up: it is no shorter
// than cutIdle.
func TestRemovePathClosesLingeringSecondary(t *testing.T) {
	ctx := testContext(t, 30*time.Second)
	conf := &kwik.Config{ServerGroupKey: groupKey, MaxIdleTimeout: cutIdle, KeepAlivePeriod: cutKeepAlive}
	secondary := listen(t, conf)
	accepted := acceptAll(t, secondary) // closed when the test ends, not before
	client, server := pair(t, conf)
	path, err := server.AddPath(ctx, secondary.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sec := nextSession(t, accepted)
	_, changed := server.Deliveries(0)
	if err := server.RemovePath(path.ID); err != nil {
		t.Fatal(err)
	}
	select { // Spread learns of the removal through this
	case <-changed:
	default:
		t.Error("RemovePath did not wake the waiters of Deliveries")
	}
	if err := server.SendRawData(path.ID, 0, []byte("late")); err == nil {
		t.Error("SendRawData to a removed path succeeded")
	}
	if _, err := sec.AcceptRawData(ctx); !errors.Is(err, kwik.ErrPathRemoved) {
		t.Fatalf("AcceptRawData on a removed path: %v, want ErrPathRemoved", err)
	}
	select {
	case <-sec.Context().Done():
	case <-ctx.Done():
		t.Fatal("the client never closed a removed path whose secondary lingered")
	}
	if err := context.Cause(sec.Context()); !strings.Contains(fmt.Sprint(err), "did not close it") {
		t.Errorf("secondary closed with %v, want the client's reason for closing a lingering path", err)
	}
	for _, p := range client.AllPaths() {
		if p.ID == path.ID && p.State != kwik.PathRemoved {
			t.Errorf("client sees the path as %v, want removed", p.State)
		}
	}
	if err := server.RemovePath(path.ID); err != nil {
		t.Errorf("removing a path again: %v, want nil", err)
	}
}

// TestAddPathGivenUpIsClosed: a path that the client finishes opening after
// the primary's AddPath gave up on it is closed again, not left open.
func TestAddPathGivenUpIsClosed(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	conf := &kwik.Config{ServerGroupKey: groupKey}
	secondary := listen(t, conf)
	slow, err := emulator.Listen(ctx, "127.0.0.1:0", secondary.Addr().String(), emulator.LinkConfig{Delay: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	accepted := acceptAll(t, secondary)
	_, server := pair(t, conf)
	actx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	info, err := server.AddPath(actx, slow.Addr().String(), testPin)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || info.State != kwik.PathFailed {
		t.Fatalf("AddPath over a 200 ms round trip with 20 ms to spare: %v, %v", info.State, err)
	}
	sec := nextSession(t, accepted) // the client completes the join regardless
	if _, err := sec.AcceptRawData(ctx); !errors.Is(err, kwik.ErrPathRemoved) {
		t.Fatalf("AcceptRawData on a path the primary gave up on: %v, want ErrPathRemoved", err)
	}
}
