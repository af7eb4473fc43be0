package fileserve

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// writeRecorder records each Write.
type writeRecorder struct{ writes [][]byte }

func (w *writeRecorder) Write(p []byte) (int, error) {
	w.writes = append(w.writes, bytes.Clone(p))
	return len(p), nil
}

// TestWriteObjectHeaderWithFirstBytes checks that the header goes in the
// same Write as the object's first bytes (a small object: one Write, so
// one frame with its Close's FIN), and that every byte goes in order.
func TestWriteObjectHeaderWithFirstBytes(t *testing.T) {
	head := []byte("OK 100000\n")
	for _, size := range []int{0, 1, 27 << 10, 64<<10 - len(head), 100000} {
		obj := bytes.Repeat([]byte("0123456789abcdef"), 100000/16+1)[:size]
		w := &writeRecorder{}
		if err := writeObject(w, head, bytes.NewReader(obj), int64(size)); err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
		if got, want := bytes.Join(w.writes, nil), append(bytes.Clone(head), obj...); !bytes.Equal(got, want) {
			t.Fatalf("%d bytes: wrote %d bytes that differ from the header and object's %d", size, len(got), len(want))
		}
		if want := 1 + (len(head)+size-1)/(64<<10); len(w.writes) != want {
			t.Errorf("%d bytes: %d Writes, want %d (the header with the first bytes)", size, len(w.writes), want)
		}
	}
}

// TestWriteObjectShortContent checks that content shorter than the size
// announced in the header is an error, not a shorter stream.
func TestWriteObjectShortContent(t *testing.T) {
	err := writeObject(&writeRecorder{}, []byte("OK 10\n"), bytes.NewReader([]byte("short")), 10)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("%v, want io.ErrUnexpectedEOF", err)
	}
}
