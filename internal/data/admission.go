package data

import (
	"fmt"
	"sync"

	"github.com/kwik-transport/kwik/internal/wire"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

// StreamStatus is what a session knows of a stream ID.
type StreamStatus int

// Stream statuses.
const (
	StreamUnknown StreamStatus = iota // never opened
	StreamOpen
	StreamClosed // existed and is gone: late frames are dropped
)

// Role is what a path may do with the streams its frames name. The zero
// Role takes no stream data at all.
type Role struct {
	// Opens: a frame may name a stream the peer has not opened yet, and so
	// opens it (the path to the peer that owns the streams).
	Opens bool
	// Ends: a frame may carry the stream's FIN.
	Ends bool
	// Assigned: the path may write only the pieces the primary assigned to
	// it, and a piece reaches the stream only once whole and verified
	// (a secondary's path, SPEC rule 8).
	Assigned bool
}

// The roles of KWIK's paths.
var (
	// RoleOwner is the path to the peer that owns the streams: the
	// primary, seen from the client, and the client, seen from the primary.
	RoleOwner = Role{Opens: true, Ends: true}
	// RoleSecondary is a secondary's path, seen from the client.
	RoleSecondary = Role{Assigned: true}
	// RoleNone is the client's path, seen from a secondary: the client
	// writes no stream data there.
	RoleNone = Role{}
)

// Session is what the admission path needs of the session it serves. The
// session implements it; a frame's common case calls only StreamStatus.
type Session interface {
	// StreamStatus says whether stream id is open. With open set (a path
	// whose Role Opens) a stream the peer may open is opened first, with
	// every lower one; an ID the peer may not use returns a *PathError.
	StreamStatus(id uint64, open bool) (StreamStatus, error)
	// Refuse tells a path's peer that a stream refused its bytes, and why;
	// the path itself stays.
	Refuse(pathID, streamID uint64, err error)
	// PieceFailed learns of a complete piece whose digest did not match;
	// its bytes were discarded. It is told before the piece's last bytes
	// are counted in the deliveries, so that a report that covers them is
	// sent after the failure.
	PieceFailed(pathID uint64, a Assignment)
}

// Counter is told the payload bytes of every frame a path delivers (the
// path's statistics); *transport.Path is one.
type Counter interface{ CountReceived(n int) }

// Admission is a session's one admission-and-delivery path: every path's
// STREAM frames go through it into the DataPresentationManager, judged by
// the path's Role: only into streams the session has, never past their
// limit or final size and, for an Assigned path, only within the pieces the
// primary assigned to it, once a whole piece matches its digest. Bytes are
// counted per path for the primary's delivery reports.
type Admission struct {
	dpm        presentation.DataPresentationManager
	deliveries *Deliveries // nil: nobody reports deliveries (a server)
	sess       Session
	conf       Config

	mu     sync.Mutex
	tables map[uint64]*pieceTable // by path ID, Assigned paths only
}

// Config bounds and reports what secondaries are assigned.
type Config struct {
	// MaxAssignments bounds the outstanding assignments of one path.
	MaxAssignments int
	// MaxUnverified bounds the memory of one path's received bytes held
	// until their pieces are complete (payload plus a small per-frame
	// overhead).
	MaxUnverified int
	// AcceptUnassigned lets a secondary write bytes outside every
	// assignment straight into the stream, unverified. Insecure.
	AcceptUnassigned bool
}

// NewAdmission returns the admission path into dpm of sess; deliveries may
// be nil. A session that takes no stream data (a secondary's) passes nil
// for all three: its paths' RoleNone never reaches them.
func NewAdmission(dpm presentation.DataPresentationManager, deliveries *Deliveries, sess Session, conf Config) *Admission {
	return &Admission{dpm: dpm, deliveries: deliveries, sess: sess, conf: conf, tables: make(map[uint64]*pieceTable)}
}

// ForPath returns the Handler for the lanes of one path; counter may be
// nil.
func (a *Admission) ForPath(pathID uint64, role Role, counter Counter) Handler {
	l := &lanes{a: a, pathID: pathID, role: role, counter: counter}
	if role.Assigned {
		l.pieces = a.table(pathID)
	}
	return l
}

// table returns a path's piece table, creating it.
func (a *Admission) table(pathID uint64) *pieceTable {
	a.mu.Lock()
	defer a.mu.Unlock()
	t := a.tables[pathID]
	if t == nil {
		t = newPieceTable(a.conf.MaxAssignments, a.conf.MaxUnverified)
		a.tables[pathID] = t
	}
	return t
}

// Assign records that the primary assigned a piece to a path. It fails
// with an *AssignError when the path has too many outstanding, when the
// piece overlaps another of the path's, or when the path has ended.
func (a *Admission) Assign(pathID uint64, as Assignment) error {
	if as.Length == 0 || as.Length > wire.MaxPieceLen || as.Offset > wire.MaxVarint-as.Length {
		return &AssignError{Reason: fmt.Sprintf("piece [%d, +%d) is empty, longer than %d or past 2^62-1", as.Offset, as.Length, wire.MaxPieceLen)}
	}
	return a.table(pathID).assign(as)
}

// Withdraw drops a path's assignments in a stream that lie within
// [off, off+n), with the bytes held for them.
func (a *Admission) Withdraw(pathID, streamID, off, n uint64) {
	a.free(a.table(pathID).withdraw(streamID, off, n))
}

// ForgetStream drops every path's assignments of a stream that is gone.
func (a *Admission) ForgetStream(streamID uint64) {
	a.mu.Lock()
	tables := make([]*pieceTable, 0, len(a.tables))
	for _, t := range a.tables {
		tables = append(tables, t)
	}
	a.mu.Unlock()
	for _, t := range tables {
		a.free(t.dropStream(streamID))
	}
}

// PathEnded drops what a path was assigned and holds; later assignments
// for it are refused.
func (a *Admission) PathEnded(pathID uint64) {
	t := a.table(pathID)
	a.free(t.close())
}

// Usage returns a path's outstanding assignments and the memory of the
// bytes it holds unverified.
func (a *Admission) Usage(pathID uint64) (assignments, unverified int) {
	a.mu.Lock()
	t := a.tables[pathID]
	a.mu.Unlock()
	if t == nil {
		return 0, 0
	}
	return t.usage()
}

// free gives the held chunks of dropped pieces back to the pool.
func (a *Admission) free(ps []*piece) {
	for _, p := range ps {
		for _, c := range p.chunks {
			a.dpm.PutBuffer(c.b)
		}
		p.chunks = nil
	}
}
