package presentation

import (
	"bytes"
	"errors"
	"testing"
)

func TestWriteBatch(t *testing.T) {
	m := newTestManager(t, &PresentationConfig{InitialStreamWindow: 64 << 10, MinStreamWindow: 64 << 10})
	mustCreate(t, m, 0)
	mustCreate(t, m, 4)
	data := pattern(100)
	pooled := func(b []byte) []byte {
		p := m.GetBuffer(len(b))
		copy(p, b)
		return p
	}
	writes := []StreamWrite{
		{StreamID: 0, Offset: 50, Data: pooled(data[50:]), Meta: DataMetadata{Flags: DataFlagPooled | DataFlagFin}},
		{StreamID: 0, Offset: 0, Data: data[:50]},
		{StreamID: 4, Offset: 0, Data: data[:60]},
		{StreamID: 8, Offset: 0, Data: pooled(data)},         // unknown stream
		{StreamID: 4, Offset: 64 << 10, Data: data[:1]},      // past the limit
		{StreamID: 4, Offset: 60, Data: pooled(data[60:80])}, // not flagged pooled: copied
	}
	writes[3].Meta.Flags = DataFlagPooled
	if failed := m.WriteBatch(writes); failed != 2 {
		t.Fatalf("%d failed, want 2", failed)
	}
	for i, want := range []error{nil, nil, nil, ErrStreamNotFound, ErrFlowControl, nil} {
		if !errors.Is(writes[i].Err, want) {
			t.Errorf("write %d: %v, want %v", i, writes[i].Err, want)
		}
	}
	p := make([]byte, 200)
	if n, err := m.ReadFromStream(0, p); n != 100 || err == nil || !bytes.Equal(p[:n], data) {
		t.Fatalf("stream 0: %d bytes, %v", n, err)
	}
	if n, err := m.ReadFromStream(4, p); n != 80 || err != nil || !bytes.Equal(p[:n], data[:80]) {
		t.Fatalf("stream 4: %d bytes, %v", n, err)
	}
	// The unflagged GetBuffer slice stays registered: give it back.
	m.PutBuffer(writes[5].Data)
	if n := leakedBytes(m); n != 0 {
		t.Fatalf("%d bytes of buffers counted as held that no stream reaches", n)
	}
	// A run longer than the internal claim array.
	long := make([]StreamWrite, 40)
	for i := range long {
		long[i] = StreamWrite{StreamID: 4, Offset: 80 + uint64(i), Data: pooled([]byte{byte(i)}), Meta: DataMetadata{Flags: DataFlagPooled}}
	}
	if failed := m.WriteBatch(long); failed != 0 {
		t.Fatalf("long run: %d failed: %v", failed, long[0].Err)
	}
	if n, _ := m.ReadFromStream(4, p); n != 40 || p[39] != 39 {
		t.Fatalf("long run read %d bytes", n)
	}
	if leakedBytes(m) != 0 {
		t.Fatal("long run: buffers counted as held that no stream reaches")
	}
}
