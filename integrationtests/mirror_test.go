package integrationtests

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/wire"
)

// The compromised-mirror suite (SPEC rule 8): a secondary with a valid path
// that writes what it was not asked, or wrong bytes, never gets a byte to
// the application; the lying path is named to the primary, and the object
// arrives whole through the other paths.

// assignNow assigns data at off of a stream to a secondary path and
// returns once the client has the assignment: the client handles the
// primary's frames in order, so a round trip after it is a barrier.
func assignNow(t *testing.T, ctx context.Context, server *kwik.Session, pathID, streamID, off uint64, data []byte) {
	t.Helper()
	if err := server.AssignRange(pathID, streamID, off, data); err != nil {
		t.Fatal(err)
	}
	if _, err := server.MissingRanges(ctx, streamID); err != nil {
		t.Fatal(err)
	}
}

// waitPieceEvent waits for the primary's report of a discarded piece of
// path id.
func waitPieceEvent(t *testing.T, events <-chan kwik.Event, id uint64) kwik.PieceEvent {
	t.Helper()
	return waitEvent(t, events, fmt.Sprintf("a failed piece of path %d", id), func(pe kwik.PieceEvent) bool { return pe.PathID == id })
}

// TestCompromisedMirrorRaw: a raw secondary on a valid path writes bytes
// nobody asked for, into a stream nobody assigned, wrong or partly wrong
// pieces, a FIN, bytes of a withdrawn assignment, a valid piece twice.
// Each is refused (the path closed, or the piece discarded and reported),
// and the application reads exactly the object the primary sends.
func TestCompromisedMirrorRaw(t *testing.T) {
	ctx := testContext(t, 90*time.Second)
	h := newHostileSecondary(t, ctx)
	client, server := h.client, h.server

	object := payload(11, 64<<10)
	var srv [2]*kwik.Stream
	var cli [2]*kwik.Stream
	for i := range cli {
		cli[i], srv[i] = h.request(t, "GET")
	}
	good := object[:4096]
	evil := bytes.Repeat([]byte{0xee}, 4096)
	partly := append(bytes.Clone(good[:2048]), evil[2048:]...)

	closes := mirrorViolations(ctx, server, object)
	for _, tc := range closes {
		t.Run(tc.name, func(t *testing.T) {
			p, id := h.addPath(t)
			tc.act(t, p, id)
			p.expectClosed(tc.code, tc.reason)
			info := waitPathEvent(t, h.events, id, kwik.PathDead)
			if info.Err == nil || !strings.Contains(info.Err.Error(), fmt.Sprintf("secondary path %d", id)) {
				t.Fatalf("primary learned the path died of %v; want the reason naming path %d", info.Err, id)
			}
		})
	}
	for _, tc := range []struct {
		name  string
		bytes []byte
	}{{"wrong bytes in a piece", evil}, {"a piece partly right", partly}} {
		t.Run(tc.name, func(t *testing.T) {
			p, id := h.addPath(t)
			assignNow(t, ctx, server, id, 0, 0, good)
			p.lane(streamFrame(t, 0, 0, tc.bytes[:1000], false), streamFrame(t, 0, 1000, tc.bytes[1000:], false))
			pe := waitPieceEvent(t, h.events, id)
			if pe.Reason != kwik.PieceCorrupt || pe.StreamID != 0 || pe.Range != (kwik.Range{Start: 0, End: 4096}) {
				t.Fatalf("piece event %+v, want the corrupt piece [0, 4096) of stream 0", pe)
			}
			if got := server.PieceFailures(0); len(got) != 1 || got[0] != pe {
				t.Fatalf("PieceFailures = %+v, want the one event", got)
			}
			p.expectOpen() // wrong bytes cost the piece, not the path
		})
	}

	// Through all this the application reads exactly the object: the
	// primary sends it whole (its own bytes are trusted).
	primaryCompletes(t, cli[0], srv[0], object)
	if err := client.Err(); err != nil {
		t.Fatalf("client session: %v", err)
	}
}

// mirrorViolation is something a raw secondary on path id does that closes
// the path with code and reason.
type mirrorViolation struct {
	name   string
	act    func(t *testing.T, p *rawPeer, id uint64)
	code   wire.ErrorCode
	reason string
}

// mirrorViolations are TestCompromisedMirrorRaw's violations against the
// primary server, which serves object.
func mirrorViolations(ctx context.Context, server *kwik.Session, object []byte) []mirrorViolation {
	good := object[:4096]
	evil := bytes.Repeat([]byte{0xee}, 4096)
	return []mirrorViolation{
		{"unasked range", func(t *testing.T, p *rawPeer, id uint64) {
			p.lane(streamFrame(t, 0, 0, evil, false))
		}, wire.ProtocolViolation, "[0, 4096) of stream 0, which the primary did not assign"},
		{"unassigned stream", func(t *testing.T, p *rawPeer, id uint64) {
			assignNow(t, ctx, server, id, 0, 0, good)
			p.lane(streamFrame(t, 4, 0, good, false))
		}, wire.ProtocolViolation, "of stream 4, which the primary did not assign"},
		{"FIN with a wrong final size", func(t *testing.T, p *rawPeer, id uint64) {
			assignNow(t, ctx, server, id, 0, 0, good)
			p.lane(streamFrame(t, 0, 0, good[:100], true))
		}, wire.ProtocolViolation, "only the primary may"},
		{"data after its assignment was withdrawn", func(t *testing.T, p *rawPeer, id uint64) {
			assignNow(t, ctx, server, id, 0, 4096, object[4096:8192])
			if err := server.WithdrawRange(id, 0, 4096, 4096); err != nil {
				t.Fatal(err)
			}
			server.MissingRanges(ctx, 0) // the client has withdrawn it
			p.lane(streamFrame(t, 0, 4096, object[4096:8192], false))
		}, wire.ProtocolViolation, "did not assign"},
		{"a valid piece sent twice", func(t *testing.T, p *rawPeer, id uint64) {
			assignNow(t, ctx, server, id, 0, 0, good)
			p.lane(streamFrame(t, 0, 0, good, false), streamFrame(t, 0, 0, good, false))
		}, wire.ProtocolViolation, "did not assign"},
		{"bytes of a piece twice", func(t *testing.T, p *rawPeer, id uint64) {
			assignNow(t, ctx, server, id, 0, 8192, object[8192:12288])
			p.lane(streamFrame(t, 0, 8192, object[8192:9000], false), streamFrame(t, 0, 8192, object[8192:9000], false))
		}, wire.ProtocolViolation, "twice"},
		{"across the edge of a piece", func(t *testing.T, p *rawPeer, id uint64) {
			assignNow(t, ctx, server, id, 0, 8192, object[8192:12288])
			p.lane(streamFrame(t, 0, 12000, object[12000:13000], false))
		}, wire.ProtocolViolation, "across the edge"},
	}
}

// TestCompromisedMirrorMemory: a secondary that sends every assigned piece
// but its last byte makes the client hold unverified bytes; it may hold
// Config.MaxUnverifiedBytes of them and no more: the path is closed there,
// and the client's heap stays far below what was sent.
func TestCompromisedMirrorMemory(t *testing.T) {
	const (
		budget = 2 << 20
		pieces = 8 // of wire.MaxPieceLen: 32 MiB sent, all within the window
		window = 48 << 20
	)
	ctx := testContext(t, 90*time.Second)
	primary := listen(t, &kwik.Config{ServerGroupKey: groupKey})
	client, server := connect(t, primary, &kwik.Config{MaxUnverifiedBytes: budget,
		SessionReceiveWindow: window, InitialStreamReceiveWindow: window, MaxStreamReceiveWindow: window})
	h := &hostileSecondary{ctx: ctx, client: client, server: server, raw: listenRaw(t, testTLS.Server), events: server.Events()}
	str, err := client.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	str.Write([]byte("GET"))
	str.Close()
	if _, err := server.AcceptStream(ctx); err != nil {
		t.Fatal(err)
	}
	p, id := h.addPath(t)
	piece := payload(3, wire.MaxPieceLen)
	for i := range uint64(pieces) {
		if err := server.AssignRange(id, 0, i*wire.MaxPieceLen, piece); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := server.MissingRanges(ctx, 0); err != nil { // the client has them all
		t.Fatal(err)
	}
	before := measure(t)
	sampler := sampleHeap()
	lane := p.lane()
	const frame = 32 << 10
	for i := range uint64(pieces) {
		for off := uint64(0); off < wire.MaxPieceLen-1; off += frame {
			n := min(frame, wire.MaxPieceLen-1-off)
			if _, err := lane.Write(streamFrame(t, 0, i*wire.MaxPieceLen+off, piece[off:off+n], false)); err != nil {
				break // the client closed the path
			}
		}
	}
	p.expectClosed(wire.FlowControlError, "unverified pieces")
	peak := sampler.peak()
	after := measure(t)
	sent := uint64(pieces * wire.MaxPieceLen)
	t.Logf("sent %d MiB of incomplete pieces; client heap peak +%d KiB, after +%d KiB (budget %d KiB)",
		sent>>20, (int64(peak)-int64(before.heap))>>10, (int64(after.heap)-int64(before.heap))>>10, budget>>10)
	// QUIC's own buffers for the lane come on top of the budget.
	if grow := int64(peak) - int64(before.heap); grow > budget+12<<20 {
		t.Fatalf("client heap grew by %d MiB while a secondary sent %d MiB of pieces it never completes; want at most the %d MiB budget plus QUIC's buffers", grow>>20, sent>>20, budget>>20)
	}
	if err := client.Err(); err != nil {
		t.Fatalf("client session: %v", err)
	}
}
