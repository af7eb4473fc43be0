package integrationtests

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/control"
	"github.com/kwik-transport/kwik/internal/wire"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

// This file holds the hostile peers of issue 10 that attack memory: each
// measures the victim's heap (after GC) and goroutines and fails when they
// exceed the bound docs/DESIGN.md promises for the victim's Config. Short
// settings run in CI; KWIK_HOSTILE_LONG=1 runs the figures of the issue.

// victimConfig is the Config of the victims: small receive windows, so
// that the bound is small next to what the attacks used to cost.
func victimConfig() *kwik.Config {
	return &kwik.Config{ServerGroupKey: groupKey, MaxIncomingStreams: 4,
		SessionReceiveWindow:       4 << 20,
		InitialStreamReceiveWindow: 512 << 10,
		MaxStreamReceiveWindow:     8 << 20,
	}
}

// memoryBound is what DESIGN.md allows one peer to make a victim hold:
// twice the session window, the stream minimums, the control queue.
func memoryBound(conf *kwik.Config) uint64 {
	return 2*conf.SessionReceiveWindow + uint64(conf.MaxIncomingStreams)*presentation.DefaultMinStreamWindow + control.DefaultMaxQueued
}

// fragmenter sends 1-byte STREAM frames at every other offset of stream 0,
// starting at offset 1, so that nothing ever becomes readable: each byte
// is one more disjoint range. It keeps within the limits the victim
// advertises (a blocked attacker stops after waiting a while for credit)
// and returns how many frames it sent.
func fragmenter(ctx context.Context, p *rawPeer, lane *quic.SendStream, frames int) int {
	var limit atomic.Uint64
	limit.Store(64 << 10) // what SERVER_HELLO promises every stream
	grew := make(chan struct{}, 1)
	go func() { // MAX_STREAM_DATA for stream 0 raises the attacker's limit
		for {
			f, err := wire.ReadControlFrame(p.br)
			if err != nil {
				return
			}
			if m, ok := f.(*wire.MaxStreamData); ok && m.StreamID == 0 && m.Limit > limit.Load() {
				limit.Store(m.Limit)
				select {
				case grew <- struct{}{}:
				default:
				}
			}
		}
	}()
	var batch []byte
	sent := 0
	for i := range frames {
		off := uint64(2*i + 1)
		for off+1 > limit.Load() {
			if len(batch) > 0 {
				lane.Write(batch)
				batch = batch[:0]
			}
			select {
			case <-grew:
			case <-time.After(2 * time.Second): // no more credit is coming
				return sent
			case <-ctx.Done():
				return sent
			}
		}
		batch = oneByteFrame(batch, off)
		sent++
		if len(batch) >= 64<<10 {
			if _, err := lane.Write(batch); err != nil {
				return sent // the victim closed the path
			}
			batch = batch[:0]
		}
	}
	lane.Write(batch)
	return sent
}

// oneByteFrame appends a STREAM frame of stream 0 carrying one byte at off.
func oneByteFrame(b []byte, off uint64) []byte {
	b, err := wire.StreamHeader{StreamID: 0, Offset: off, Length: 1}.Append(b)
	if err != nil {
		panic(err)
	}
	return append(b, 'x')
}

// TestHostileClientFragmentsStream: an unauthenticated client sends 1-byte
// STREAM frames at every other offset of one stream, all inside the
// advertised limit. The primary's heap stays within the bound, the path is
// closed with a protocol violation naming the range bound, the primary's
// goroutines come back, and its other sessions go on.
func TestHostileClientFragmentsStream(t *testing.T) {
	frames := hostileSize(50_000, 300_000)
	ctx := testContext(t, 300*time.Second)
	conf := victimConfig()
	ln := listen(t, conf)
	client, server := connect(t, ln, conf)
	echo(t, ctx, client, server, 32<<10)
	before := snapshotResources()

	p, _, sess := joinRaw(t, ctx, ln)
	lane := p.lane()
	sent := fragmenter(ctx, p, lane, frames)
	// One byte at offset 0 makes stream 0 readable: once the victim's
	// application reads it, the lane (read in order) was fully taken in.
	lane.Write(streamFrameBytes(0, []byte{'x'}))
	rctx, cancel := context.WithTimeout(ctx, outcomeTimeout)
	defer cancel()
	readErr := readOneByte(rctx, sess)
	during := snapshotResources()
	grown := int64(during.heap) - int64(before.heap)
	bound := memoryBound(conf)
	t.Logf("%d frames sent (%d B on the wire): victim heap %+.1f MiB (bound %.1f MiB), %d goroutines (%d before), read: %v",
		sent, sent*len(oneByteFrame(nil, uint64(2*sent))), float64(grown)/(1<<20), float64(bound)/(1<<20), during.goroutines, before.goroutines, readErr)
	if grown > int64(bound) {
		t.Errorf("the victim's heap grew by %d B for %d one-byte frames; the bound is %d B", grown, sent, bound)
	}
	if during.goroutines > before.goroutines+16 {
		t.Errorf("%d goroutines during the attack, %d before", during.goroutines, before.goroutines)
	}
	p.expectClosed(wire.ProtocolViolation, "disjoint range")
	expectSessionError(t, sess, wire.ProtocolViolation, "disjoint range")
	echo(t, ctx, client, server, 32<<10)
}

// streamFrameBytes encodes a STREAM frame of stream 0.
func streamFrameBytes(off uint64, payload []byte) []byte {
	b, err := wire.StreamHeader{StreamID: 0, Offset: off, Length: len(payload)}.Append(nil)
	if err != nil {
		panic(err)
	}
	return append(b, payload...)
}

// readOneByte accepts the raw client's stream 0 on sess and reads a byte.
func readOneByte(ctx context.Context, sess *kwik.Session) error {
	str, err := sess.AcceptStream(ctx)
	if err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		str.SetReadDeadline(dl)
	}
	var b [1]byte
	n, err := str.Read(b[:])
	if n == 1 {
		return nil
	}
	if err == nil {
		err = errors.New("read nothing")
	}
	return fmt.Errorf("reading stream 0: %w", err)
}
