package kwik

import "context"

// The methods of a primary server session: the client's paths to secondary
// servers, what each may write, and what the client received. They return
// ErrNotPrimary on any other session.

// AddPath asks the client to open a path to the secondary server at addr,
// and waits until the path is up, failed, or ctx ends. pin, if not nil, is
// the SHA-256 of the secondary's public key (PublicKeyPin): the client
// then accepts exactly that key. It needs Config.ServerGroupKey, shared
// with the secondary (ErrNoGroupKey).
func (s *Session) AddPath(ctx context.Context, addr string, pin []byte) (PathInfo, error) {
	return s.s.AddPath(ctx, addr, pin)
}

// RemovePath drains and closes a secondary path. It returns at once: the
// path is removed for this session from now on (SendRawData to it fails),
// the client relays nothing more to it, and the secondary, whose
// AcceptRawData then returns ErrPathRemoved, finishes the work it was given
// and closes; bytes it writes meanwhile still reach the client. A secondary
// that does not close within Config.MaxIdleTimeout is closed by the client.
// Removing a path that already ended does nothing.
func (s *Session) RemovePath(id uint64) error { return s.s.RemovePath(id) }

// ActivePaths returns the paths that can carry data now.
func (s *Session) ActivePaths() []PathInfo { return s.s.ActivePaths() }

// AllPaths returns every path of the session since it began, by ID.
func (s *Session) AllPaths() []PathInfo { return s.s.AllPaths() }

// DeadPaths returns the paths that were lost (not those removed on purpose
// or that never opened).
func (s *Session) DeadPaths() []PathInfo { return s.s.DeadPaths() }

// Events returns the channel of path and stream events of a primary
// session (PathEvent, GapEvent). It is closed when the session ends. If
// nobody reads it, the oldest events are dropped once Config.EventBuffer
// are waiting.
func (s *Session) Events() <-chan Event { return s.s.Events() }

// AssignRange tells the client that secondary path pathID may write piece
// into stream streamID at offset, and what its bytes are (by digest). The
// client accepts a secondary's bytes only within such assignments, and
// delivers them to the application only once the whole piece arrived and
// matches. Assign before asking the secondary for the bytes (SendRawData
// after AssignRange reaches the client after it, on the same control
// stream). A piece holds 1 byte to 4 MiB and must not overlap another
// outstanding assignment of the same path and stream.
//
// A piece the client would refuse (its path has Config.MaxAssignments
// outstanding, or the piece overlaps one) fails with an error matching
// ErrAssignmentRefused, and nothing is sent: do not ask the secondary for
// it. A piece stops being outstanding once the client's delivery reports
// for its path and stream cover it, counting the path's pieces in the
// order they were assigned, the order a secondary writes them in
// (multisource.ServeRanges does).
func (s *Session) AssignRange(pathID, streamID, offset uint64, piece []byte) error {
	return s.s.AssignRange(pathID, streamID, offset, piece)
}

// AssignDigest is AssignRange for a piece known by its length and its
// SHA-256 digest, for a primary that does not hold the bytes.
func (s *Session) AssignDigest(pathID, streamID, offset, length uint64, digest [DigestSize]byte) error {
	return s.s.AssignDigest(pathID, streamID, offset, length, digest)
}

// WithdrawRange withdraws path pathID's assignments in stream streamID that
// lie within [offset, offset+length): the client drops what it holds of
// them, and bytes the path sends for them later close the path.
func (s *Session) WithdrawRange(pathID, streamID, offset, length uint64) error {
	return s.s.WithdrawRange(pathID, streamID, offset, length)
}

// SendRawData sends data to the secondary server on path pathID, through
// the client, about the client stream streamID. The secondary receives it
// from AcceptRawData; it is authenticated with the server-group key, so the
// client can neither forge nor alter it.
func (s *Session) SendRawData(pathID, streamID uint64, data []byte) error {
	return s.s.SendRawData(pathID, streamID, data)
}

// Deliveries returns, for one stream, how many bytes the client reported
// receiving through each path (by path ID), and a channel closed when a
// newer report arrives, a path changes state or the client raises a
// stream's send credit (MAX_STREAM_DATA).
func (s *Session) Deliveries(streamID uint64) (map[uint64]uint64, <-chan struct{}) {
	return s.s.Deliveries(streamID)
}

// MissingRanges asks the client which bytes of a stream it still misses.
func (s *Session) MissingRanges(ctx context.Context, streamID uint64) (Missing, error) {
	return s.s.MissingRanges(ctx, streamID)
}

// PieceFailures returns and forgets the piece failures the client reported
// for a stream since the last call. Take them after Deliveries: a failure
// always arrives before the report that counts the piece's last bytes.
func (s *Session) PieceFailures(streamID uint64) []PieceEvent { return s.s.PieceFailures(streamID) }

// RequestReport asks the client for a delivery report now, rather than at
// its next Config.ReportInterval.
func (s *Session) RequestReport() error { return s.s.RequestReport() }

// The methods of a secondary server session. They return ErrNotSecondary
// on any other session.

// AcceptRawData returns the next message the primary relayed to this
// secondary, waiting until ctx ends. Once the primary has removed the path
// and every message is taken, it returns ErrPathRemoved.
func (s *Session) AcceptRawData(ctx context.Context) (RawData, error) { return s.s.AcceptRawData(ctx) }

// StreamWriter returns a write-only stream bound to the client stream
// streamID: WriteAt places bytes at any offset of it. The client refuses
// writes into streams it does not have (the error says so).
func (s *Session) StreamWriter(streamID uint64) (*Stream, error) {
	return wrapStream(s.s.StreamWriter(streamID))
}
