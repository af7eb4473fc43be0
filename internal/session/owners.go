package session

// The session as its lower layers call up into it: each layer is given,
// once at construction, a small interface the session implements (here,
// stream.Owner; data.Session in streams.go), never function values.

// streamOwner is the session as a stream it opened sees it (stream.Owner).
type streamOwner struct{ s *Session }

func (o streamOwner) Err() error               { return o.s.Err() }
func (o streamOwner) StreamDone(id uint64)     { o.s.streamDone(id) }
func (o streamOwner) StreamComplete(id uint64) { o.s.streamComplete(id) }

// writerOwner is a secondary's session as one of its writers sees it: a
// writer never reads, so never completes.
type writerOwner struct{ sec *secondaryState }

func (o writerOwner) Err() error            { return o.sec.s.Err() }
func (o writerOwner) StreamDone(id uint64)  { o.sec.writerDone(id) }
func (o writerOwner) StreamComplete(uint64) {}
