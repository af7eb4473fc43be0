package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kwik-transport/kwik/internal/control"
	"github.com/kwik-transport/kwik/internal/data"
	"github.com/kwik-transport/kwik/internal/transport"
	"github.com/kwik-transport/kwik/internal/wire"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

// serverState is what only a primary server session has: its view of the
// client's paths, and what the client reports about them.
type serverState struct {
	s      *Session
	events *eventQueue

	mu       sync.Mutex
	nextPath uint64
	paths    map[uint64]*transport.Path // every path of the session, ever
	waiters  map[uint64]chan error      // AddPath calls waiting for PATH_STATUS
	relaySeq uint64
	// identities binds each secondary path's token and relayed data to
	// the server it was added as (control.IdentityOf).
	identities map[uint64]control.ServerIdentity
	nextReq    uint64
	rangeWait  map[uint64]chan *wire.MissingRanges
	// deliveries holds the client's latest report, stream → path → bytes,
	// for paths this primary added and for open streams plus the last
	// endedStreamsKept that ended, so that it stays within
	// (open streams + endedStreamsKept) × paths whatever the client sends.
	// Ended streams stay a little: the client's last report crosses the
	// end of a stream, and applications ask for the final split after it.
	deliveries map[uint64]map[uint64]uint64
	ended      []uint64 // streams whose reports are still kept, oldest first
	byPath     map[uint64]*pathDeliveries
	failures   []PieceEvent // for PieceFailures; at most maxPendingFailures
	reportSig  signal       // a report or piece failure arrived, a path changed state, or a stream's credit grew
	// ledger mirrors the client's assignments, to refuse what it would.
	ledger *ledger
}

// The ledger holds the smaller of the two sides' MaxAssignments: the
// client's, from its CLIENT_HELLO, is what its piece table refuses beyond.
func (s *Session) startPrimary(ch *control.Channel, peerMaxAssignments uint64) {
	ss := &serverState{
		s:          s,
		events:     newEventQueue(s.conf.EventBuffer),
		nextPath:   1,
		paths:      map[uint64]*transport.Path{0: s.primary},
		waiters:    make(map[uint64]chan error),
		rangeWait:  make(map[uint64]chan *wire.MissingRanges),
		deliveries: make(map[uint64]map[uint64]uint64),
		byPath:     make(map[uint64]*pathDeliveries),
		ledger:     newLedger(int(min(uint64(s.conf.MaxAssignments), peerMaxAssignments))),
	}
	s.server = ss
	s.admission = data.NewAdmission(s.dpm, nil, dataSession{s}, data.Config{})
	s.runPath(s.primary, ss.handle, s.admission.ForPath(s.primary.ID(), data.RoleOwner, s.primary), s.closeWith)
}

// close wakes everything waiting on the client; the session is closing.
func (ss *serverState) close() {
	ss.mu.Lock()
	for id, w := range ss.waiters {
		w <- ss.s.Err()
		delete(ss.waiters, id)
	}
	ss.reportSig.end() // waiters return at once from now on
	for _, p := range ss.paths {
		p.SetState(transport.PathDead, ss.s.Err())
	}
	ss.mu.Unlock()
	ss.events.close()
}

// handle handles the client's control frames.
func (ss *serverState) handle(f wire.Frame) error {
	if ok, err := ss.s.handleStreamControl(f); ok {
		return err
	}
	switch f := f.(type) {
	case *wire.PathStatus:
		return ss.pathStatus(f)
	case *wire.PieceFailed:
		return ss.pieceFailed(f)
	case *wire.MissingRanges:
		ss.mu.Lock()
		w := ss.rangeWait[f.RequestID]
		delete(ss.rangeWait, f.RequestID)
		ss.mu.Unlock()
		if w != nil {
			w <- f
		} else if f.RequestID == 0 {
			ss.events.push(GapEvent{StreamID: f.StreamID, Missing: missingFromWire(f)})
		}
	case *wire.DeliveryReport:
		return ss.deliveryReport(f)
	default:
		return protocolError("the client sent %v, which a primary does not accept", f.Type())
	}
	return nil
}

// deliveryReport records what the client says it received. An entry for
// a path this primary never added is a protocol violation; one for a
// stream that is neither open nor among the recently ended is ignored,
// because a report may cross the end of a stream.
func (ss *serverState) deliveryReport(f *wire.DeliveryReport) error {
	now := time.Now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for _, d := range f.Deliveries {
		p := ss.paths[d.PathID]
		if p == nil {
			return protocolError("DELIVERY_REPORT for path %d, which this primary never added", d.PathID)
		}
		// ss.mu is held across the check and the update, and forgetStream
		// takes it after the stream left s.streams: an ended stream's
		// entry is kept only while it is in ss.ended.
		byPath := ss.deliveries[d.StreamID]
		if byPath == nil {
			if !ss.s.streamOpen(d.StreamID) {
				continue
			}
			byPath = make(map[uint64]uint64)
			ss.deliveries[d.StreamID] = byPath
		}
		old := byPath[d.PathID]
		if d.Bytes <= old {
			continue // reports are cumulative
		}
		p.Touch() // the path delivered something since the last report
		pd := ss.byPath[d.PathID]
		if pd == nil {
			pd = new(pathDeliveries)
			ss.byPath[d.PathID] = pd
		}
		pd.add(now, d.Bytes-old)
		byPath[d.PathID] = d.Bytes
		ss.ledger.delivered(d.PathID, d.StreamID, d.Bytes)
	}
	ss.reportSig.notify()
	return nil
}

// endedStreamsKept is how many ended streams keep their delivery reports.
const endedStreamsKept = 16

// forgetStream keeps the reports of a stream that ended among the last
// endedStreamsKept, and drops the oldest beyond them.
func (ss *serverState) forgetStream(id uint64) {
	ss.ledger.forgetStream(id)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.deliveries[id] == nil {
		ss.deliveries[id] = make(map[uint64]uint64) // a late report may still come
	}
	ss.ended = append(ss.ended, id)
	if len(ss.ended) > endedStreamsKept {
		delete(ss.deliveries, ss.ended[0])
		ss.ended = slices.Delete(ss.ended, 0, 1)
	}
}

// pathStatus records what the client says about one of its paths.
func (ss *serverState) pathStatus(f *wire.PathStatus) error {
	ss.mu.Lock()
	p := ss.paths[f.PathID]
	w := ss.waiters[f.PathID]
	ss.mu.Unlock()
	if p == nil || f.PathID == 0 {
		return protocolError("PATH_STATUS for path %d, which this primary never added", f.PathID)
	}
	var err error
	if f.Reason != "" {
		err = errors.New(f.Reason)
	}
	var state transport.PathState
	switch f.Status {
	case wire.PathActive:
		state = transport.PathActive
	case wire.PathDegraded:
		state = transport.PathDegraded
	case wire.PathDead:
		state = transport.PathDead
	case wire.PathRemoved:
		state = transport.PathRemoved
	case wire.PathFailed:
		state = transport.PathFailed
		if err == nil {
			err = errors.New("the client could not open the path")
		}
	default:
		return protocolError("PATH_STATUS with unknown status %d", f.Status)
	}
	p.Touch()
	if !ss.setPathState(p, state, err) {
		if st, _ := p.State(); st.Terminal() && state == transport.PathActive {
			// The client finished opening a path after this side gave up
			// on it (AddPath's context ended) or removed it: close it too.
			ss.s.primary.Control().Send(&wire.RemovePath{PathID: f.PathID})
		}
		return nil
	}
	if w != nil && (f.Status == wire.PathActive || f.Status == wire.PathFailed) {
		ss.mu.Lock()
		delete(ss.waiters, f.PathID)
		ss.mu.Unlock()
		w <- err
	}
	return nil
}

// creditGrew wakes Deliveries' waiters: the client raised a stream's send
// credit, which Spread paces its pieces by.
func (ss *serverState) creditGrew() {
	ss.mu.Lock()
	ss.reportSig.notify()
	ss.mu.Unlock()
}

// setPathState moves p to state and, if that changed it, publishes the
// change: a PathEvent, and a wake-up of Deliveries' waiters (Spread reacts
// to paths that end).
func (ss *serverState) setPathState(p *transport.Path, state transport.PathState, err error) bool {
	if !p.SetState(state, err) {
		return false
	}
	if state.Terminal() {
		ss.ledger.forgetPath(p.ID())
	}
	ss.events.push(PathEvent{Path: p.Info()})
	ss.mu.Lock()
	ss.reportSig.notify()
	ss.mu.Unlock()
	return true
}

// AddPath asks the client to open a path to the secondary server at addr,
// and waits until the path is up, failed, or ctx ends. pin, if not nil, is
// the SHA-256 of the secondary's public key (transport.PublicKeyPin): the
// client then accepts exactly that key.
func (s *Session) AddPath(ctx context.Context, addr string, pin []byte) (transport.PathInfo, error) {
	ss := s.server
	if ss == nil {
		return transport.PathInfo{}, ErrNotPrimary
	}
	if len(s.conf.ServerGroupKey) == 0 {
		return transport.PathInfo{}, ErrNoGroupKey
	}
	if len(pin) != 0 && len(pin) != transport.PinSize {
		return transport.PathInfo{}, fmt.Errorf("kwik: certificate pin has %d bytes, want %d", len(pin), transport.PinSize)
	}
	if err := s.Err(); err != nil {
		return transport.PathInfo{}, err
	}
	ss.mu.Lock()
	id := ss.nextPath
	ss.nextPath++
	p := transport.NewPath(id, addr, false, nil, nil, 0)
	p.SetState(transport.PathPending, nil)
	ss.paths[id] = p
	if ss.identities == nil {
		ss.identities = make(map[uint64]control.ServerIdentity)
	}
	ident := control.IdentityOf(addr, pin)
	ss.identities[id] = ident
	w := make(chan error, 1)
	ss.waiters[id] = w
	ss.mu.Unlock()

	token := control.MintPathToken(s.conf.ServerGroupKey, s.sessionID, id, ident, s.conf.PathTokenTTL, time.Now())
	if err := s.primary.Control().Send(&wire.AddPath{PathID: id, Address: addr, Token: token, CertPin: pin}); err != nil {
		ss.setPathState(p, transport.PathFailed, err)
		return p.Info(), err
	}
	select {
	case err := <-w:
		if err != nil {
			return p.Info(), fmt.Errorf("kwik: adding path %d to %s: %w", id, addr, err)
		}
		return p.Info(), nil
	case <-ctx.Done():
		ss.mu.Lock()
		delete(ss.waiters, id)
		ss.mu.Unlock()
		ss.setPathState(p, transport.PathFailed, ctx.Err())
		s.primary.Control().Send(&wire.RemovePath{PathID: id})
		return p.Info(), ctx.Err()
	}
}

// RemovePath drains and closes a secondary path. It returns at once: the
// path is removed for this session from now on (SendRawData to it fails),
// the client relays nothing more to it, and the secondary, whose
// AcceptRawData then returns ErrPathRemoved, finishes the work it was given
// and closes; bytes it writes meanwhile still reach the client. A secondary
// that does not close within Config.MaxIdleTimeout is closed by the client.
// Removing a path that already ended does nothing.
func (s *Session) RemovePath(id uint64) error {
	ss := s.server
	if ss == nil {
		return ErrNotPrimary
	}
	if id == 0 {
		return errors.New("kwik: the primary path cannot be removed; close the session instead")
	}
	ss.mu.Lock()
	p := ss.paths[id]
	ss.mu.Unlock()
	if p == nil {
		return fmt.Errorf("%w %d", ErrUnknownPath, id)
	}
	switch st, _ := p.State(); {
	case st == transport.PathPending:
		return fmt.Errorf("kwik: path %d is still opening; remove it once AddPath has returned", id)
	case st.Terminal():
		return nil
	}
	ss.setPathState(p, transport.PathRemoved, nil)
	return s.primary.Control().Send(&wire.RemovePath{PathID: id})
}

// AllPaths returns every path of the session since it began, by ID.
func (s *Session) AllPaths() []transport.PathInfo {
	return s.pathInfos(func(transport.PathState) bool { return true })
}

// ActivePaths returns the paths that can carry data now.
func (s *Session) ActivePaths() []transport.PathInfo {
	return s.pathInfos(func(st transport.PathState) bool {
		return st == transport.PathActive || st == transport.PathDegraded
	})
}

// DeadPaths returns the paths that were lost (not those removed on purpose
// or that never opened).
func (s *Session) DeadPaths() []transport.PathInfo {
	return s.pathInfos(func(st transport.PathState) bool { return st == transport.PathDead })
}

func (s *Session) pathInfos(keep func(transport.PathState) bool) []transport.PathInfo {
	var paths []*transport.Path
	switch {
	case s.server != nil:
		s.server.mu.Lock()
		for _, p := range s.server.paths {
			paths = append(paths, p)
		}
		s.server.mu.Unlock()
	case s.client != nil:
		paths = s.client.allPaths()
	default:
		paths = []*transport.Path{s.primary}
	}
	var out []transport.PathInfo
	for _, p := range paths {
		info := p.Info()
		if !keep(info.State) {
			continue
		}
		if s.server != nil {
			sent, goodput := s.server.delivered(info.ID)
			info.Stats.Goodput = goodput
			if !info.Primary { // a secondary's bytes are known from the reports only
				info.Stats.BytesSent = sent
			}
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b transport.PathInfo) int { return int(a.ID) - int(b.ID) })
	return out
}

// SendRawData sends data to the secondary server on path pathID, through
// the client, about the client stream streamID. The secondary receives it
// from AcceptRawData; it is authenticated with the server-group key, so the
// client can neither forge nor alter it.
func (s *Session) SendRawData(pathID, streamID uint64, data []byte) error {
	ss := s.server
	if ss == nil {
		return ErrNotPrimary
	}
	if len(s.conf.ServerGroupKey) == 0 {
		return ErrNoGroupKey
	}
	ss.mu.Lock()
	p := ss.paths[pathID]
	ident := ss.identities[pathID]
	ss.relaySeq++
	seq := ss.relaySeq
	ss.mu.Unlock()
	if p == nil || pathID == 0 {
		return fmt.Errorf("%w %d: raw data goes to secondary paths", ErrUnknownPath, pathID)
	}
	if st, err := p.State(); st.Terminal() {
		return fmt.Errorf("kwik: path %d is %v: %v", pathID, st, err)
	}
	mac := control.RelayMAC(s.conf.ServerGroupKey, s.sessionID, ident, pathID, streamID, seq, data)
	return s.primary.Control().Send(&wire.RawData{PathID: pathID, StreamID: streamID, Seq: seq, Data: data, MAC: mac})
}

// MissingRanges asks the client which bytes of a stream it still misses.
func (s *Session) MissingRanges(ctx context.Context, streamID uint64) (presentation.MissingRanges, error) {
	ss := s.server
	if ss == nil {
		return presentation.MissingRanges{}, ErrNotPrimary
	}
	w := make(chan *wire.MissingRanges, 1)
	ss.mu.Lock()
	ss.nextReq++
	id := ss.nextReq
	ss.rangeWait[id] = w
	ss.mu.Unlock()
	defer func() {
		ss.mu.Lock()
		delete(ss.rangeWait, id)
		ss.mu.Unlock()
	}()
	if err := s.primary.Control().Send(&wire.RangesRequest{RequestID: id, StreamID: streamID}); err != nil {
		return presentation.MissingRanges{}, err
	}
	select {
	case f := <-w:
		return missingFromWire(f), nil
	case <-ctx.Done():
		return presentation.MissingRanges{}, ctx.Err()
	case <-s.ctx.Done():
		return presentation.MissingRanges{}, s.Err()
	}
}

// Deliveries returns, for one stream, how many bytes the client reported
// receiving through each path (by path ID), and a channel closed when a
// newer report arrives, a path changes state or the client raises a
// stream's send credit.
func (s *Session) Deliveries(streamID uint64) (map[uint64]uint64, <-chan struct{}) {
	ss := s.server
	if ss == nil {
		ch := make(chan struct{})
		close(ch)
		return nil, ch
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	byPath := ss.deliveries[streamID]
	out := make(map[uint64]uint64, len(byPath))
	for path, n := range byPath {
		out[path] = n
	}
	return out, ss.reportSig.wait()
}

// delivered returns what the client reported receiving through a path, in
// all and per second lately.
func (ss *serverState) delivered(pathID uint64) (total uint64, goodput float64) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	pd := ss.byPath[pathID]
	if pd == nil {
		return 0, 0
	}
	return pd.total, pd.goodput(time.Now())
}

// RequestReport asks the client for a delivery report now.
func (s *Session) RequestReport() error {
	if s.server == nil {
		return ErrNotPrimary
	}
	return s.primary.Control().Send(&wire.ReportRequest{})
}

// Events returns the channel of path and stream events of a primary session
// (PathEvent, GapEvent). It is closed when the session ends. If nobody reads
// it, the oldest events are dropped once Config.EventBuffer are waiting.
func (s *Session) Events() <-chan Event {
	if s.server == nil {
		return nil
	}
	return s.server.events.ch
}
