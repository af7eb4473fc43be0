package data

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/wire"
)

// referenceLane decodes a whole lane from memory: the frames a receiver
// must deliver, and whether the lane breaks the protocol after them.
func referenceLane(b []byte) (frames []delivered, violation bool) {
	r := bytes.NewReader(b)
	if err := wire.ReadLaneMagic(r); err != nil {
		return nil, true
	}
	for {
		h, err := wire.ReadStreamHeader(r)
		if err == io.EOF {
			return frames, false
		}
		if err != nil || r.Len() < h.Length {
			return frames, true
		}
		p := make([]byte, h.Length)
		r.Read(p)
		frames = append(frames, delivered{h, string(p)})
	}
}

// FuzzReceiveLane sends arbitrary bytes as a lane over a real QUIC
// connection: the receiver must deliver exactly the frames a reference
// decoder finds, and close the path with PROTOCOL_VIOLATION exactly when
// the lane is malformed or cut short. It may refuse a malformed lane, and
// its path is then closed as a session would, before the sender has written
// all of it.
func FuzzReceiveLane(f *testing.F) {
	magic := wire.AppendLaneMagic(nil)
	two := append(append(bytes.Clone(magic), rawHeader(0x08, 0, 0, 3)...), "abc"...)
	two = append(append(two, rawHeader(0x09, 4, 7, 2)...), "de"...)
	f.Add([]byte{})
	f.Add(bytes.Clone(magic))
	f.Add(two)
	f.Add(two[:len(two)-1])
	f.Add(append(bytes.Clone(magic), rawHeader(0x08, 0, wire.MaxVarint-1, 2)...))
	f.Add(append(bytes.Clone(magic), rawHeader(0x08, 0, 0, wire.MaxStreamPayload+1)...))
	f.Add([]byte("GET / HTTP/1.1\r\n"))
	// More than quic-go's stream window: the receiver refuses it before the
	// sender has written it all.
	f.Add(append([]byte("GET / HTTP/1.1\r\n"), make([]byte, 1<<20)...))
	// The same after a frame: the receiver stops at a bad frame type, and
	// only the path's closing ends the Write.
	f.Add(append(append(bytes.Clone(two), 0x07), make([]byte, 1<<20)...))
	srv := newQUICServer(f)
	f.Fuzz(func(t *testing.T, lane []byte) {
		want, violation := referenceLane(lane)
		client, server := srv.pair(t)
		h := newRecordingHandler()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := receive(ctx, server, h)
		wrote := make(chan error, 1)
		go func() { wrote <- writeLane(client, lane) }()
		var err error
		if violation {
			err = waitReceive(t, done)
			// As a session does: a Write still blocked on the lane ends.
			server.CloseWithError(quic.ApplicationErrorCode(wire.ProtocolViolation), "the lane broke the protocol")
			if werr := <-wrote; werr != nil && !refusedLane(werr) {
				t.Fatalf("writing a malformed lane: %v", werr)
			}
		} else {
			h.waitFrames(t, len(want))
			if werr := <-wrote; werr != nil {
				t.Fatalf("writing a well-formed lane: %v", werr)
			}
			cancel()
			err = waitReceive(t, done)
		}
		var perr *PathError
		switch {
		case violation && (!errors.As(err, &perr) || perr.Code != wire.ProtocolViolation):
			t.Fatalf("malformed lane: %v, want a PROTOCOL_VIOLATION PathError", err)
		case !violation && !errors.Is(err, context.Canceled):
			t.Fatalf("well-formed lane: %v", err)
		}
		h.mu.Lock()
		got := h.frames
		h.mu.Unlock()
		if len(got) != len(want) {
			t.Fatalf("delivered %d frames, want %d", len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("frame %d: %+v, want %+v", i, got[i], want[i])
			}
		}
	})
}
